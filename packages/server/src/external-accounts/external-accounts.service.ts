import { ApiError, newId } from '@latchkey/contracts'
import {
  type ExternalAccountRow,
  fromDbBool,
  type OAuthFlowRow,
  toDbBool,
  type UserRow,
  type Write,
} from '@latchkey/db'
import * as oidc from 'openid-client'
import { randomToken } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import type { PrepareInput } from '../verification/strategy.js'
import * as repo from './external-accounts.repository.js'

/** A redirect to the provider must come back within 10 minutes. */
const FLOW_TTL_MS = 10 * 60_000

/** What a provider asserted about the person, as kept between the callback and a transfer. */
export type ProviderClaims = {
  sub: string
  email: string | null
  /** True only when the provider said exactly `email_verified: true`. */
  emailVerified: boolean
  givenName: string | null
  familyName: string | null
  picture: string | null
  scope: string
}

/**
 * External accounts (issue #18): the redirect to an upstream provider (state, nonce and PKCE
 * S256, bound to the sign-in's verification and its client), the code exchange and ID-token
 * checks (openid-client), and the rule for linking a provider's identity to a Latchkey user.
 */
export class ExternalAccountsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * Starts a redirect to `provider` for the verification `v` (its id, owner and client): the
   * authorize URL (state, nonce, PKCE S256) and the flow's write. Refuses a provider with no
   * enabled connection and app URLs off the allowed origins.
   */
  async beginFlow(
    provider: string,
    v: { id: string; ownerId: string; clientId: string },
    input: PrepareInput,
  ): Promise<{ authorizeUrl: string; expireAt: number; write: Write }> {
    const connection = await this.d.services.oauthConnections.findEnabled(provider)
    if (!connection) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `Unsupported strategy oauth_${provider}.`,
        meta: { param_name: 'strategy' },
      })
    }
    const redirectUrl = await this.allowedRedirect(input.redirectUrl, 'redirect_url')
    if (!redirectUrl)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'redirect_url' } })
    const complete = await this.allowedRedirect(
      input.actionCompleteRedirectUrl,
      'action_complete_redirect_url',
    )
    const proxyUrl = await this.allowedProxy(input.proxyUrl)
    const config = await this.d.services.oauthConnections.clientConfig(connection)
    const state = randomToken(32)
    const nonce = oidc.randomNonce()
    const verifier = oidc.randomPKCECodeVerifier()
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(),
      scope: connection.scopes,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const now = this.d.clock.now()
    const flowId = newId('oauthFlow')
    const flow: OAuthFlowRow = {
      id: flowId,
      state_hash: this.d.services.verifications.secrets.lookup(state),
      verification_id: v.id,
      owner_id: v.ownerId,
      client_id: v.clientId,
      provider,
      nonce,
      code_verifier_sealed: this.d.box.seal(verifier, flowId),
      redirect_url: redirectUrl,
      action_complete_redirect_url: complete,
      proxy_url: proxyUrl,
      claims: null,
      used_at: null,
      expire_at: now + FLOW_TTL_MS,
      created_at: now,
    }
    return { authorizeUrl: authorize.href, expireAt: flow.expire_at, write: repo.flowInsert(flow) }
  }

  /** The flow a callback's state names, or undefined (a forged or unknown state). */
  findFlowByState(state: string): Promise<OAuthFlowRow | undefined> {
    return repo.findFlowByState(this.d.db, this.d.services.verifications.secrets.lookup(state))
  }

  /**
   * Exchanges the callback's code (the `oauth_*` strategy's attempt): the flow is used once,
   * then openid-client checks state, PKCE, the ID token's signature, issuer, audience, expiry
   * and nonce. The claims are kept on the flow for what follows (sign-in or transfer).
   */
  async exchange(verificationId: string, callbackUrl: URL): Promise<ProviderClaims> {
    const flow = await repo.findFlowByVerification(this.d.db, verificationId)
    if (!flow) throw ApiError.of('verification_missing')
    if (!(await repo.claimFlow(this.d.db, flow.id, this.d.clock.now())))
      throw ApiError.of('verification_already_verified')
    if (callbackUrl.searchParams.has('error')) throw ApiError.of('oauth_access_denied')
    const connection = await this.d.services.oauthConnections.findEnabled(flow.provider)
    if (!connection) throw ApiError.of('oauth_access_denied')
    const config = await this.d.services.oauthConnections.clientConfig(connection)
    let claims: ProviderClaims
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: this.d.box.open(flow.code_verifier_sealed, flow.id),
        expectedNonce: flow.nonce,
        expectedState: callbackUrl.searchParams.get('state') ?? '',
        idTokenExpected: true,
      })
      const id = tokens.claims()
      if (!id) throw new Error('no ID token')
      // Providers that keep email out of the ID token (oidc-provider's default) give it at
      // userinfo; openid-client checks that answer's `sub` is the ID token's.
      const info =
        typeof id.email === 'string' || !config.serverMetadata().userinfo_endpoint
          ? id
          : { ...(await oidc.fetchUserInfo(config, tokens.access_token, id.sub)), ...id }
      claims = {
        sub: id.sub,
        email: typeof info.email === 'string' ? info.email.trim().toLowerCase() : null,
        emailVerified: info.email_verified === true,
        givenName: typeof info.given_name === 'string' ? info.given_name : null,
        familyName: typeof info.family_name === 'string' ? info.family_name : null,
        picture: typeof info.picture === 'string' ? info.picture : null,
        scope: tokens.scope ?? connection.scopes,
      }
    } catch (error) {
      this.d.log.info({ err: error, provider: flow.provider }, 'oauth callback refused')
      throw ApiError.of('oauth_token_exchange_error', { cause: error })
    }
    await repo.storeClaims(this.d.db, flow.id, JSON.stringify(claims))
    return claims
  }

  /** The claims a flow's callback stored. */
  async claimsOf(flowId: string): Promise<ProviderClaims> {
    const flow = await repo.findFlowById(this.d.db, flowId)
    if (!flow?.claims) throw ApiError.of('verification_missing')
    return JSON.parse(flow.claims) as ProviderClaims
  }

  findAccount(provider: string, sub: string): Promise<ExternalAccountRow | undefined> {
    return repo.findAccount(this.d.db, provider, sub)
  }

  accountsOfUsers(userIds: string[]): Promise<ExternalAccountRow[]> {
    return repo.accountsOfUsers(this.d.db, userIds)
  }

  /**
   * The Latchkey user a provider's identity may be linked to by email (docs/SECURITY.md): only
   * when the provider asserts the address verified AND the user proved the same address here.
   * Anything less (an address the provider lets people type, an unverified one) links nothing:
   * the "nOAuth" takeover needs exactly that.
   */
  async linkableUser(claims: ProviderClaims): Promise<UserRow | undefined> {
    if (!claims.email || !claims.emailVerified) return undefined
    const user = await this.d.services.users.findByIdentifier(claims.email)
    if (!user) return undefined
    const found = await this.d.services.users.findWithEmails(user.id)
    const email = found?.emails.find((e) => e.email_address === claims.email)
    return email && fromDbBool(email.verified) ? user : undefined
  }

  /** The external account row, as a write of the group that links or creates the user. */
  accountWrite(userId: string, provider: string, claims: ProviderClaims): Write {
    const now = this.d.clock.now()
    return repo.accountInsert({
      id: newId('externalAccount'),
      user_id: userId,
      provider,
      provider_user_id: claims.sub,
      email_address: claims.email,
      email_verified: claims.email === null ? null : toDbBool(claims.emailVerified),
      first_name: claims.givenName,
      last_name: claims.familyName,
      image_url: claims.picture,
      approved_scopes: claims.scope,
      created_at: now,
      updated_at: now,
    })
  }

  /**
   * The client's flow whose provider answered, with its claims, for `transfer: true`: from a
   * sign-in (to a sign-up) or from a sign-up (to a sign-in), its verification `transferable`.
   */
  async transferable(
    clientId: string,
    from: 'sign_in' | 'sign_up' = 'sign_in',
  ): Promise<{ flow: OAuthFlowRow; claims: ProviderClaims } | undefined> {
    const flow = await repo.latestAnsweredFlow(this.d.db, clientId)
    if (!flow?.claims) return undefined
    if (!flow.owner_id.startsWith(from === 'sign_in' ? 'sia_' : 'sua_')) return undefined
    const v = await this.d.services.verifications.find(flow.owner_id, 'first_factor')
    if (v?.id !== flow.verification_id || v.status !== 'transferable') return undefined
    if (this.d.clock.now() >= flow.expire_at + FLOW_TTL_MS) return undefined
    return { flow, claims: JSON.parse(flow.claims) as ProviderClaims }
  }

  /** The answered, unspent flow of a sign-up (or sign-in) `ownerId`, with its claims. */
  async answeredFlowOf(
    ownerId: string,
  ): Promise<{ flow: OAuthFlowRow; claims: ProviderClaims } | undefined> {
    const flow = await repo.answeredFlowOfOwner(this.d.db, ownerId)
    if (!flow?.claims) return undefined
    return { flow, claims: JSON.parse(flow.claims) as ProviderClaims }
  }

  /** Hands a flow's claims to the sign-up `ownerId` (a transfer that still misses fields). */
  handOverWrite(flowId: string, ownerId: string): Write {
    return repo.flowOwnerSet(flowId, ownerId)
  }

  /** Spends a flow's claims, in the group that used them. */
  spentWrite(flowId: string): Write {
    return repo.flowClaimsSpent(flowId)
  }

  callbackUrl(): string {
    return new URL('/v1/oauth_callback', this.d.config.url).href
  }

  /**
   * The proxy a flow's callback may forward the authorization response to: only on an allowed
   * origin (an app the operator named), so a caller that sends a `Clerk-Proxy-Url` of its own
   * choosing cannot have someone else's code and state delivered to it. Anything else: none.
   */
  private async allowedProxy(value: string | undefined): Promise<string | null> {
    const url = value && URL.canParse(value) ? new URL(value) : undefined
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null
    if (url.origin === new URL(this.d.config.url).origin) return null
    if (!(await this.d.services.instance.isAllowedOrigin(url.origin))) return null
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  }

  /** An app URL the browser may be sent back to: absolute http(s) on an allowed origin. */
  private async allowedRedirect(value: string | undefined, param: string): Promise<string | null> {
    if (value === undefined) return null
    const url = URL.canParse(value) ? new URL(value) : undefined
    const ok =
      url &&
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      (url.origin === new URL(this.d.config.url).origin ||
        (await this.d.services.instance.isAllowedOrigin(url.origin)))
    if (!ok || !url) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `${param} must be an absolute URL on this server or an allowed origin.`,
        meta: { param_name: param },
      })
    }
    return url.href
  }
}
