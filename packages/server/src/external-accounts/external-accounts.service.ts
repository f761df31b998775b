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
  /** The provider's handle (GitHub login, …); absent in claims stored before migration 0028. */
  username?: string | null
  scope: string
}

/** The database, or the caller's transaction. */
type Q = Parameters<typeof repo.accountsOfUsers>[0]

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
    const connections = this.d.services.oauthConnections
    const config = await connections.clientConfig(connection)
    const upstream = connections.providerOf(connection)
    const nonce = oidc.randomNonce()
    const verifier = oidc.randomPKCECodeVerifier()
    const made = await this.newFlow(provider, v, input, nonce, verifier)
    const authorize = oidc.buildAuthorizationUrl(config, {
      ...upstream.authorizationParams,
      redirect_uri: this.callbackUrl(),
      scope: connection.scopes,
      state: made.state,
      // The ID token's nonce is an OpenID Connect check; plain OAuth 2 providers have none.
      ...(upstream.protocol === 'oidc' ? { nonce } : {}),
      ...(upstream.pkce
        ? {
            code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          }
        : {}),
    })
    return { authorizeUrl: authorize.href, expireAt: made.flow.expire_at, write: made.write }
  }

  /**
   * A redirect flow bound to the verification `v` (its client and owner), with a fresh state:
   * what an OAuth redirect and a SAML AuthnRequest (`nonce` = its request id, the state its
   * RelayState) share. Refuses app URLs off the allowed origins.
   */
  async newFlow(
    provider: string,
    v: { id: string; ownerId: string; clientId: string },
    input: PrepareInput,
    nonce: string,
    codeVerifier = '',
  ): Promise<{ state: string; flow: OAuthFlowRow; write: Write }> {
    const redirectUrl = await this.allowedRedirect(input.redirectUrl, 'redirect_url')
    if (!redirectUrl)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'redirect_url' } })
    const complete = await this.allowedRedirect(
      input.actionCompleteRedirectUrl,
      'action_complete_redirect_url',
    )
    const state = randomToken(32)
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
      code_verifier_sealed: this.d.box.seal(codeVerifier, flowId),
      redirect_url: redirectUrl,
      action_complete_redirect_url: complete,
      claims: null,
      used_at: null,
      expire_at: now + FLOW_TTL_MS,
      created_at: now,
    }
    return { state, flow, write: repo.flowInsert(flow) }
  }

  /**
   * Stores what an IdP asserted on an unused, unexpired, unanswered flow (a SAML ACS): once,
   * so a second response to the same request is refused. The browser's callback then uses it.
   */
  answerFlow(flowId: string, claims: ProviderClaims): Promise<boolean> {
    return repo.answerFlow(this.d.db, flowId, JSON.stringify(claims), this.d.clock.now())
  }

  /**
   * The attempt of a flow answered by `answerFlow`: the flow is used once, here, by the browser
   * that started it (the callback checked its client); returns the claims stored.
   */
  async consumeAnswered(verificationId: string): Promise<ProviderClaims> {
    const flow = await repo.findFlowByVerification(this.d.db, verificationId)
    if (!flow?.claims) throw ApiError.of('verification_missing')
    if (!(await repo.claimFlow(this.d.db, flow.id, this.d.clock.now())))
      throw ApiError.of('verification_already_verified')
    return JSON.parse(flow.claims) as ProviderClaims
  }

  /** The flow a callback's state names, or undefined (a forged or unknown state). */
  findFlowByState(state: string): Promise<OAuthFlowRow | undefined> {
    return repo.findFlowByState(this.d.db, this.d.services.verifications.secrets.lookup(state))
  }

  /**
   * Exchanges the callback's code (the `oauth_*` strategy's attempt): the flow is used once,
   * then openid-client checks state, PKCE and — for an OpenID Connect provider — the ID
   * token's signature, issuer, audience, expiry and nonce; the provider maps the person
   * (`providers/`). The claims are kept on the flow for what follows (sign-in or transfer).
   */
  async exchange(verificationId: string, callbackUrl: URL): Promise<ProviderClaims> {
    const flow = await repo.findFlowByVerification(this.d.db, verificationId)
    if (!flow) throw ApiError.of('verification_missing')
    if (!(await repo.claimFlow(this.d.db, flow.id, this.d.clock.now())))
      throw ApiError.of('verification_already_verified')
    if (callbackUrl.searchParams.has('error')) throw ApiError.of('oauth_access_denied')
    const connection = await this.d.services.oauthConnections.findEnabled(flow.provider)
    if (!connection) throw ApiError.of('oauth_access_denied')
    const connections = this.d.services.oauthConnections
    const config = await connections.clientConfig(connection)
    const upstream = connections.providerOf(connection)
    const oidcFlow = upstream.protocol === 'oidc'
    let claims: ProviderClaims
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        ...(upstream.pkce
          ? { pkceCodeVerifier: this.d.box.open(flow.code_verifier_sealed, flow.id) }
          : {}),
        ...(oidcFlow ? { expectedNonce: flow.nonce } : {}),
        expectedState: callbackUrl.searchParams.get('state') ?? '',
        idTokenExpected: oidcFlow,
      })
      const profile = await upstream.profile({ config, tokens, callbackUrl })
      claims = {
        sub: profile.providerUserId,
        email: profile.email,
        emailVerified: profile.emailVerified,
        givenName: profile.firstName,
        familyName: profile.lastName,
        picture: profile.imageUrl,
        username: profile.username,
        // GitHub separates granted scopes with commas; Clerk's `approved_scopes` uses spaces.
        scope:
          tokens.scope
            ?.split(/[\s,]+/)
            .filter(Boolean)
            .join(' ') || connection.scopes,
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

  accountsOfUsers(userIds: string[], q: Q = this.d.db): Promise<ExternalAccountRow[]> {
    return repo.accountsOfUsers(q, userIds)
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
    return repo.accountInsert(this.accountRow(userId, provider, claims))
  }

  /** Inserts a row made by {@link accountRow}: a group's write. */
  accountInsertWrite(row: ExternalAccountRow): Write {
    return repo.accountInsert(row)
  }

  /** The row {@link accountWrite} inserts (rendered into the user's webhook event first). */
  accountRow(userId: string, provider: string, claims: ProviderClaims): ExternalAccountRow {
    const now = this.d.clock.now()
    return {
      id: newId('externalAccount'),
      user_id: userId,
      provider,
      provider_user_id: claims.sub,
      email_address: claims.email,
      email_verified: claims.email === null ? null : toDbBool(claims.emailVerified),
      first_name: claims.givenName,
      last_name: claims.familyName,
      image_url: claims.picture,
      username: claims.username ?? null,
      approved_scopes: claims.scope,
      created_at: now,
      updated_at: now,
    }
  }

  /** The client's flow whose provider answered, with its claims, for `transfer: true`. */
  async transferable(
    clientId: string,
  ): Promise<{ flow: OAuthFlowRow; claims: ProviderClaims } | undefined> {
    const flow = await repo.latestAnsweredFlow(this.d.db, clientId)
    if (!flow?.claims) return undefined
    const v = await this.d.services.verifications.find(flow.owner_id, 'first_factor')
    if (v?.id !== flow.verification_id || v.status !== 'transferable') return undefined
    if (this.d.clock.now() >= flow.expire_at + FLOW_TTL_MS) return undefined
    return { flow, claims: JSON.parse(flow.claims) as ProviderClaims }
  }

  /** Spends a flow's claims, in the group that used them. */
  spentWrite(flowId: string): Write {
    return repo.flowClaimsSpent(flowId)
  }

  callbackUrl(): string {
    return new URL('/v1/oauth_callback', this.d.config.url).href
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
