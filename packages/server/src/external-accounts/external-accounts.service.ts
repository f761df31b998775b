import { ApiError, newId } from '@latchkey/contracts'
import {
  type ExternalAccountRow,
  fromDbBool,
  isUniqueViolation,
  type OAuthFlowRow,
  toDbBool,
  type UserRow,
  type Write,
  writeAtomically,
} from '@latchkey/db'
import * as oidc from 'openid-client'
import { randomToken } from '../lib/crypto.js'
import { runWrite } from '../lib/run-write.js'
import type { ServiceDeps } from '../service-deps.js'
import type { PrepareInput } from '../verification/strategy.js'
import { externalAccountJSON } from './external-account.render.js'
import * as repo from './external-accounts.repository.js'
import type { Provider } from './providers/provider.js'

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
  /**
   * The provider's tokens (a {@link TokenSet} as JSON), sealed with AAD `tokens:<provider>:<sub>`
   * while they wait on the flow; resealed to the external account's id when it is written.
   */
  tokensSealed?: string | null
}

/**
 * What redeems an authorization response: the relying-party configuration, how the provider
 * is spoken to and read, the scopes asked for, and a last check of the claims (throws Clerk's
 * error to refuse them; returns them as they are to be kept).
 */
export type RelyingParty = {
  config: oidc.Configuration
  upstream: Pick<Provider, 'protocol' | 'pkce' | 'profile'>
  scopes: string
  accept?: (claims: ProviderClaims) => ProviderClaims | Promise<ProviderClaims>
}

/** The database, or the caller's transaction. */
type Q = Parameters<typeof repo.accountsOfUsers>[0]

/** What a provider's token endpoint answered, as Latchkey keeps it. */
export type TokenSet = {
  accessToken: string
  refreshToken: string | null
  /** ms since the epoch; null when the provider did not say. */
  expiresAt: number | null
  tokenType: string | null
  scope: string | null
}

/** The app's relative proxy of the Frontend API, as docs/MOVE-FROM-CLERK.md sets it up. */
const PROXY_PATH = '/__clerk'

/** A token within this long of its expiry is refreshed before it is handed out. */
const REFRESH_SKEW_MS = 30_000
/** Flows are deleted this long after they expired (used or not). */
const FLOW_KEEP_MS = 24 * 3600_000
const PRUNE_EVERY_MS = 3600_000

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
    v: { id: string; ownerId: string; clientId: string; sessionId?: string; accountId?: string },
    input: PrepareInput & { additionalScopes?: string[] },
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
    const scopes = [
      ...new Set([...connection.scopes.split(' '), ...(input.additionalScopes ?? [])]),
    ].join(' ')
    const authorize = oidc.buildAuthorizationUrl(config, {
      ...upstream.authorizationParams,
      redirect_uri: this.callbackUrl(),
      scope: scopes,
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
    v: { id: string; ownerId: string; clientId: string; sessionId?: string; accountId?: string },
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
    const proxyUrl = await this.allowedProxy(input.proxyUrl)
    const state = randomToken(32)
    await this.pruneNowAndThen()
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
      proxy_url: proxyUrl,
      claims: null,
      used_at: null,
      expire_at: now + FLOW_TTL_MS,
      created_at: now,
      session_id: v.sessionId ?? null,
      account_id: v.accountId ?? null,
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

  /**
   * Answers the flow of the verification `verificationId` with `claims` (an IdP-initiated SAML
   * hand-over: enterprise-sso/saml-idp-initiated.ts), only when it is a flow of `provider`.
   */
  async answerFlowOf(
    verificationId: string,
    provider: string,
    claims: ProviderClaims,
  ): Promise<boolean> {
    const flow = await repo.findFlowByVerification(this.d.db, verificationId)
    if (flow?.provider !== provider) return false
    return this.answerFlow(flow.id, claims)
  }

  /** Marks a flow used, once, while it is unexpired; false when it was used (or expired). */
  claimFlow(flowId: string): Promise<boolean> {
    return repo.claimFlow(this.d.db, flowId, this.d.clock.now())
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
    return this.exchangeFlow(flow, callbackUrl)
  }

  /** {@link exchange} for a flow in hand (a connect flow has no verification row). */
  async exchangeFlow(flow: OAuthFlowRow, callbackUrl: URL): Promise<ProviderClaims> {
    return this.redeem(flow, callbackUrl, async () => {
      const connection = await this.d.services.oauthConnections.findEnabled(flow.provider)
      if (!connection) return undefined
      const connections = this.d.services.oauthConnections
      return {
        config: await connections.clientConfig(connection),
        upstream: connections.providerOf(connection),
        scopes: connection.scopes,
      }
    })
  }

  /** The redirect flow of verification `verificationId`, if one was started. */
  flowOfVerification(verificationId: string): Promise<OAuthFlowRow | undefined> {
    return repo.findFlowByVerification(this.d.db, verificationId)
  }

  /**
   * Redeems a flow's authorization response with the relying party `resolve` names (a social
   * connection, an enterprise OIDC connection; undefined: gone or disabled, the provider's
   * refusal): the flow is used once, then openid-client checks state, PKCE and — for an OpenID
   * Connect provider — the ID token's signature, issuer, audience, expiry and nonce; the
   * provider maps the person, and the relying party's `accept` may still refuse the claims
   * (an enterprise connection's domains) before they are kept on the flow.
   */
  async redeem(
    flow: OAuthFlowRow,
    callbackUrl: URL,
    resolve: () => Promise<RelyingParty | undefined>,
  ): Promise<ProviderClaims> {
    if (!(await repo.claimFlow(this.d.db, flow.id, this.d.clock.now())))
      throw ApiError.of('verification_already_verified')
    if (callbackUrl.searchParams.has('error')) throw ApiError.of('oauth_access_denied')
    const rp = await resolve()
    if (!rp) throw ApiError.of('oauth_access_denied')
    const { config, upstream } = rp
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
      const set = this.tokenSet(tokens, null)
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
            .join(' ') || rp.scopes,
        tokensSealed: this.d.box.seal(
          JSON.stringify(set),
          pendingTokensAad(flow.provider, profile.providerUserId),
        ),
      }
    } catch (error) {
      this.d.log.info({ err: error, provider: flow.provider }, 'oauth callback refused')
      throw ApiError.of('oauth_token_exchange_error', { cause: error })
    }
    const accepted = rp.accept ? await rp.accept(claims) : claims
    await repo.storeClaims(this.d.db, flow.id, JSON.stringify(accepted))
    return accepted
  }

  /** A token endpoint's answer as kept; `previous` supplies a refresh token not rotated. */
  private tokenSet(
    tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
    previous: TokenSet | null,
  ): TokenSet {
    const expiresIn = tokens.expiresIn()
    return {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? previous?.refreshToken ?? null,
      expiresAt: expiresIn === undefined ? null : this.d.clock.now() + expiresIn * 1000,
      tokenType: tokens.token_type ?? null,
      scope: tokens.scope ?? previous?.scope ?? null,
    }
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
  accountWrite(
    userId: string,
    provider: string,
    claims: ProviderClaims,
    id: string = newId('externalAccount'),
  ): Write {
    return repo.accountInsert(this.accountRow(userId, provider, claims, id))
  }

  /** Inserts a row made by {@link accountRow}: a group's write. */
  accountInsertWrite(row: ExternalAccountRow): Write {
    return repo.accountInsert(row)
  }

  /** The row {@link accountWrite} inserts (rendered into the user's webhook event first). */
  accountRow(
    userId: string,
    provider: string,
    claims: ProviderClaims,
    id: string = newId('externalAccount'),
  ): ExternalAccountRow {
    const now = this.d.clock.now()
    return {
      ...this.tokenColumns(id, provider, claims),
      id,
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

  /**
   * A sign-in (or reauthorization) through a linked account: the provider's new tokens replace
   * the old ones, and what it now grants is the account's scopes.
   */
  tokensWrite(account: ExternalAccountRow, claims: ProviderClaims): Write {
    return repo.accountTokensUpdate(account.id, {
      ...this.tokenColumns(account.id, account.provider, claims),
      approved_scopes: claims.scope,
      updated_at: Math.max(this.d.clock.now(), account.updated_at + 1),
    })
  }

  /** The token columns of account `id`, sealed to it, from a flow's pending tokens. */
  private tokenColumns(id: string, provider: string, claims: ProviderClaims): repo.TokenColumns {
    if (!claims.tokensSealed) {
      return {
        access_token_sealed: null,
        refresh_token_sealed: null,
        token_expires_at: null,
        token_type: null,
        token_scopes: null,
      }
    }
    const set = JSON.parse(
      this.d.box.open(claims.tokensSealed, pendingTokensAad(provider, claims.sub)),
    ) as TokenSet
    return this.sealedColumns(id, set)
  }

  private sealedColumns(id: string, set: TokenSet): repo.TokenColumns {
    return {
      access_token_sealed: this.d.box.seal(set.accessToken, accessAad(id)),
      refresh_token_sealed: set.refreshToken
        ? this.d.box.seal(set.refreshToken, refreshAad(id))
        : null,
      token_expires_at: set.expiresAt,
      token_type: set.tokenType,
      token_scopes: set.scope,
    }
  }

  /**
   * `GET /v1/users/{id}/oauth_access_tokens/{provider}` (bapi spec `GetOAuthAccessToken`): each of
   * the user's accounts at `provider` with its access token, refreshed first with the refresh
   * token when it has expired (or is about to) and the provider gave one. A refresh the provider
   * refuses leaves the stored token, its past `expires_at` telling the app so.
   */
  async accessTokens(
    userId: string,
    provider: string,
    page: { limit: number; offset: number },
  ): Promise<{ data: OAuthAccessTokenJSON[]; total: number }> {
    const key = provider.startsWith('oauth_') ? provider.slice('oauth_'.length) : provider
    const accounts = (await repo.accountsOfUsers(this.d.db, [userId])).filter(
      (a) => a.provider === key && a.access_token_sealed !== null,
    )
    const out: OAuthAccessTokenJSON[] = []
    for (const account of accounts.slice(page.offset, page.offset + page.limit)) {
      const set = await this.freshTokens(account)
      out.push({
        object: 'oauth_access_token',
        external_account_id: account.id,
        provider_user_id: account.provider_user_id,
        token: set.accessToken,
        provider: `oauth_${account.provider}`,
        public_metadata: {},
        label: null,
        scopes: (set.scope ?? account.approved_scopes).split(' ').filter(Boolean),
        token_secret: null,
        expires_at: set.expiresAt === null ? null : Math.floor(set.expiresAt / 1000),
      })
    }
    return { data: out, total: accounts.length }
  }

  private async freshTokens(account: ExternalAccountRow): Promise<TokenSet> {
    const stored: TokenSet = {
      accessToken: this.d.box.open(account.access_token_sealed ?? '', accessAad(account.id)),
      refreshToken: account.refresh_token_sealed
        ? this.d.box.open(account.refresh_token_sealed, refreshAad(account.id))
        : null,
      expiresAt: account.token_expires_at,
      tokenType: account.token_type,
      scope: account.token_scopes,
    }
    const now = this.d.clock.now()
    if (stored.expiresAt === null || stored.expiresAt - REFRESH_SKEW_MS > now) return stored
    if (!stored.refreshToken) return stored
    const connection = await this.d.services.oauthConnections.findEnabled(account.provider)
    if (!connection) return stored
    let next: TokenSet
    try {
      const config = await this.d.services.oauthConnections.clientConfig(connection)
      const tokens = await oidc.refreshTokenGrant(config, stored.refreshToken)
      // A refresh that names someone else (an ID token for another `sub`) is not this account's.
      const id = tokens.claims()
      if (id && id.sub !== account.provider_user_id) throw new Error('refresh for another sub')
      next = this.tokenSet(tokens, stored)
    } catch (error) {
      this.d.log.info({ err: error, provider: account.provider }, 'oauth token refresh refused')
      return stored
    }
    await writeAtomically(this.d.db, this.d.dialect, [
      repo.accountTokensUpdate(account.id, {
        ...this.sealedColumns(account.id, next),
        updated_at: Math.max(now, account.updated_at + 1),
      }),
    ])
    return next
  }

  findAccountById(id: string): Promise<ExternalAccountRow | undefined> {
    return repo.findAccountById(this.d.db, id)
  }

  /**
   * Starts connecting (or, with `accountId` of an existing account, reauthorizing) `provider`
   * for the session's user: a flow bound to this session and client, whose callback links the
   * provider's account to this user only. Answers the external account to be, unverified, its
   * redirect the provider's authorize URL.
   */
  async beginConnect(
    session: { id: string; user_id: string; client_id: string },
    provider: string,
    input: PrepareInput & { additionalScopes?: string[] },
    existing?: ExternalAccountRow,
  ) {
    const accountId = existing?.id ?? newId('externalAccount')
    const flow = await this.beginFlow(
      provider,
      {
        id: accountId,
        ownerId: session.user_id,
        clientId: session.client_id,
        sessionId: session.id,
        accountId,
      },
      input,
    )
    await writeAtomically(this.d.db, this.d.dialect, [flow.write])
    const now = this.d.clock.now()
    const shown = externalAccountJSON(
      existing ?? {
        id: accountId,
        user_id: session.user_id,
        provider,
        provider_user_id: '',
        email_address: null,
        email_verified: null,
        first_name: null,
        username: null,
        last_name: null,
        image_url: null,
        approved_scopes: '',
        access_token_sealed: null,
        refresh_token_sealed: null,
        token_expires_at: null,
        token_type: null,
        token_scopes: null,
        created_at: now,
        updated_at: now,
      },
    )
    return {
      ...shown,
      verification: {
        ...shown.verification,
        status: 'unverified' as const,
        expire_at: flow.expireAt,
        external_verification_redirect_url: flow.authorizeUrl,
      },
    }
  }

  /**
   * A connect flow's callback: the flow's session must still be usable, on this client, and its
   * user the one who started it; then the code is exchanged and the provider's account linked to
   * that user — whatever its email says, since the user proved both. One linked to another user
   * is refused (`external_account_exists`); a reauthorization must come back as the same account.
   */
  async completeConnect(flow: OAuthFlowRow, clientId: string, callbackUrl: URL): Promise<void> {
    if (!flow.session_id || !flow.account_id) throw ApiError.of('verification_missing')
    const session = await this.d.services.sessions.getUsable(flow.session_id, clientId)
    if (session.user_id !== flow.owner_id) throw ApiError.of('verification_client_mismatch')
    const claims = await this.exchangeFlow(flow, callbackUrl)
    try {
      await this.linkConnected(flow, flow.account_id, claims)
    } catch (error) {
      // Another connect linked this provider account between the read and the write below (the
      // unique index on provider and provider_user_id settled it; the group wrote nothing):
      // decide again on what it wrote — the same user's is a success, another's is refused.
      if (!isUniqueViolation(error)) throw error
      await this.linkConnected(flow, flow.account_id, claims)
    }
  }

  /** The write of {@link completeConnect}, decided on the provider account's current owner. */
  private async linkConnected(
    flow: OAuthFlowRow,
    accountId: string,
    claims: ProviderClaims,
  ): Promise<void> {
    const linked = await repo.findAccount(this.d.db, flow.provider, claims.sub)
    const reauthorizing = await repo.findAccountById(this.d.db, accountId)
    if (linked && linked.user_id !== flow.owner_id) throw ApiError.of('external_account_exists')
    if (reauthorizing && reauthorizing.provider_user_id !== claims.sub)
      throw ApiError.of('external_account_mismatch')
    const now = this.d.clock.now()
    const account = linked ?? reauthorizing
    const link = account
      ? this.tokensWrite(account, claims)
      : this.accountWrite(flow.owner_id, flow.provider, claims, accountId)
    // The account (or its reauthorization) and the user's `user.updated`, in one transaction.
    await this.d.db.transaction().execute(async (trx) => {
      await runWrite(trx, link)
      await runWrite(trx, repo.flowClaimsSpent(flow.id))
      await repo.touchUser(trx, flow.owner_id, now)
      await this.d.services.users.emitUpdatedIn(trx, flow.owner_id)
    })
  }

  /**
   * Disconnects an external account. From the Frontend API (`guard`) not when it is the user's
   * last way in: no password, no verified address the instance lets sign in by code or link, no
   * passkey, no other linked provider that is still enabled.
   */
  async remove(userId: string, id: string, guard: boolean): Promise<void> {
    const account = await repo.findAccountById(this.d.db, id)
    if (!account || account.user_id !== userId)
      throw ApiError.of('resource_not_found', { longMessage: `No external account ${id}.` })
    if (guard && !(await this.hasOtherWayIn(userId, id)))
      throw ApiError.of('identification_deletion_failed')
    const now = this.d.clock.now()
    await this.d.db.transaction().execute(async (trx) => {
      if (!(await repo.deleteAccount(trx, id, userId)))
        throw ApiError.of('resource_not_found', { longMessage: `No external account ${id}.` })
      await repo.touchUser(trx, userId, now)
      await this.d.services.users.emitUpdatedIn(trx, userId)
    })
  }

  private async hasOtherWayIn(userId: string, exceptId: string): Promise<boolean> {
    const f = (await this.d.services.instance.settings()).first_factors
    const ways = await repo.otherWaysIn(this.d.db, userId)
    if (f.password && ways.password) return true
    if (f.passkey && ways.passkeys > 0) return true
    if ((f.email_code || f.email_link) && ways.verifiedEmails > 0) return true
    for (const other of await repo.accountsOfUsers(this.d.db, [userId])) {
      if (other.id === exceptId) continue
      if (await this.d.services.oauthConnections.findEnabled(other.provider)) return true
    }
    return false
  }

  /** Deletes flows a day past their expiry, at most hourly (from the flow starts). */
  private async pruneNowAndThen(): Promise<void> {
    const now = this.d.clock.now()
    if (now - this.prunedAt < PRUNE_EVERY_MS) return
    this.prunedAt = now
    await repo.pruneFlows(this.d.db, now - FLOW_KEEP_MS)
  }

  private prunedAt = 0

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

  /** Prunes now (the hourly pruning's step, for the operator's tools and tests). */
  pruneFlows(): Promise<number> {
    return repo.pruneFlows(this.d.db, this.d.clock.now() - FLOW_KEEP_MS)
  }

  callbackUrl(): string {
    return new URL('/v1/oauth_callback', this.d.config.url).href
  }

  /**
   * The proxy a flow's callback may forward the authorization response to: only the documented
   * `/__clerk` path on an allowed origin (an app the operator named). Neither the origin nor the
   * path is the caller's to choose: a `Clerk-Proxy-Url` naming another page of an allowed app
   * would have a victim's code and state delivered where the caller might read them, and
   * Latchkey redeems the code for whoever holds the flow. Anything else: none.
   */
  private async allowedProxy(value: string | undefined): Promise<string | null> {
    const url = value && URL.canParse(value) ? new URL(value) : undefined
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return null
    if (url.origin === new URL(this.d.config.url).origin) return null
    if (url.pathname.replace(/\/+$/, '') !== PROXY_PATH || url.search || url.hash) return null
    if (!(await this.d.services.instance.isAllowedOrigin(url.origin))) return null
    return `${url.origin}${PROXY_PATH}`
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

const pendingTokensAad = (provider: string, sub: string) => `tokens:${provider}:${sub}`
const accessAad = (accountId: string) => accountId
const refreshAad = (accountId: string) => `refresh:${accountId}`

/** One entry of the bapi spec's `OAuthAccessToken` array. */
export type OAuthAccessTokenJSON = {
  object: 'oauth_access_token'
  external_account_id: string
  provider_user_id: string
  token: string
  provider: string
  public_metadata: Record<string, unknown>
  label: string | null
  scopes: string[]
  token_secret: string | null
  expires_at: number | null
}
