import { createHash } from 'node:crypto'
import type { EmailAddressRow, UserRow } from '@latchkey/db'
import { fromDbBool, fromDbJson } from '@latchkey/db'
import Provider, {
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider'
import type { Logger } from 'pino'
import type { Config } from '../config/config.schema.js'
import { errorPage, errorReturnPage } from '../hosted/pages.js'
import { clientCookieName } from '../http/client-token.js'
import { imageUrlOf } from '../images/image-urls.js'
import { OAUTH_DEFAULTS, type OAuthSettings } from '../instance/instance.service.js'
import { type SecretBox, safeEqual, sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Services } from '../services.js'
import { oauthIssuer } from './issuer.js'
import { findRememberedGrantId, kyselyAdapterFactory } from './oidc-adapter.js'
import { assertRegistrationBounds } from './registration-policy.js'
import { heldRedirect, holdUnvettedRedirects } from './unvetted-redirects.js'

/** The scopes and the claims each releases (DESIGN.md §2: Clerk's userinfo fields). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture'],
  email: ['email', 'email_verified'],
  public_metadata: ['public_metadata'],
  private_metadata: ['private_metadata'],
} as const

/** Client metadata Latchkey adds (client-metadata.ts); registration sets every one to true. */
const REGISTRATION_FLAGS = [
  'latchkey_pkce_required',
  'latchkey_consent_screen_enabled',
  'latchkey_dynamically_registered',
]

export const COOKIE_NAMES = {
  session: '_lk_oidc_session',
  interaction: '_lk_oidc_interaction',
  resume: '_lk_oidc_resume',
}

/** A user's claims for every scope; oidc-provider releases the ones the grant covers. */
/** Clerk's userinfo claims of a user; `baseUrl` (LATCHKEY_URL) places their image. */
export function userClaims(user: UserRow, emails: EmailAddressRow[], baseUrl: string) {
  const primary = emails.find((e) => e.id === user.primary_email_address_id) ?? emails[0]
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ')
  return {
    sub: user.id,
    name: name || null,
    given_name: user.first_name,
    family_name: user.last_name,
    preferred_username: user.username,
    picture: imageUrlOf(user, baseUrl),
    email: primary?.email_address ?? null,
    email_verified: primary ? fromDbBool(primary.verified) : null,
    public_metadata: fromDbJson(user.public_metadata),
    private_metadata: fromDbJson(user.private_metadata),
  }
}

/** The user signed in on this browser's Latchkey client (its client cookie), if any. */
export async function signedInUserId(
  services: Services,
  clientToken: string | undefined,
): Promise<string | undefined> {
  if (!clientToken) return undefined
  const client = await services.clients.resolve(clientToken)
  if (!client?.last_active_session_id) return undefined
  try {
    // A pending session (tasks to do, issue #17) is not signed in here.
    const session = await services.sessions.getSignedIn(client.last_active_session_id, client.id)
    return session.user_id
  } catch {
    return undefined
  }
}

/**
 * Whether a user may hold OAuth tokens: not banned, not locked by an operator. (A lockout after
 * failed sign-ins does not count: guessing passwords must not end someone's grants.)
 */
export function mayHoldTokens(user: UserRow): boolean {
  return !fromDbBool(user.banned) && !fromDbBool(user.locked)
}

async function activeUser(services: Services, id: string) {
  const found = await services.users.findById(id)
  if (!found || !mayHoldTokens(found)) return undefined
  return services.users.withEmails(id)
}

/**
 * oidc-provider puts `at_hash` only in ID tokens from the authorization endpoint; Latchkey's ID
 * tokens from the token endpoint carry it too (OIDC Core §3.1.3.6 allows it), so a relying party
 * can bind the ID token to the access token it came with. The token is re-signed with the same key.
 */
function addAtHash(body: unknown, services: Services): void {
  if (!body || typeof body !== 'object') return
  const response = body as { id_token?: unknown; access_token?: unknown }
  if (typeof response.id_token !== 'string' || typeof response.access_token !== 'string') return
  const [, payload] = response.id_token.split('.')
  if (!payload) return
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  const digest = createHash('sha256').update(response.access_token, 'ascii').digest()
  claims.at_hash = digest.subarray(0, digest.length / 2).toString('base64url')
  response.id_token = services.keys.sign(claims, 'oauth')
}

type ProviderDeps = {
  config: Config
  services: Services
  db: ServiceDeps['db']
  box: SecretBox
  log: Logger
}

/**
 * The OAuth 2 / OpenID Connect engine: oidc-provider, configured with Latchkey's storage, keys,
 * users, sessions and pages. Per-instance settings (lifetimes, dynamic registration) are read
 * through the instance service's 5-second cache before each request.
 */
export function createOAuthProvider({ config, services, db, box, log }: ProviderDeps): Provider {
  let settings: OAuthSettings = OAUTH_DEFAULTS
  const issuer = oauthIssuer(config)

  const policy = interactionPolicy.base()
  // oidc-provider keeps its own session cookie; a login is only valid while the same user is
  // signed in to Latchkey on this browser (signing out of Latchkey ends "Sign in with …" too).
  policy.get('login')?.checks.add(
    new interactionPolicy.Check(
      'latchkey_session',
      'the Latchkey session ended or belongs to another user',
      async (ctx) => {
        const userId = await signedInUserId(
          services,
          ctx.cookies.get(clientCookieName(config.url)) ?? undefined,
        )
        return userId === undefined || userId !== ctx.oidc.session?.accountId
      },
    ),
  )

  const consentEnabled = (ctx: KoaContextWithOIDC) =>
    ctx.oidc.client?.metadata().latchkey_consent_screen_enabled !== false

  const configuration: Configuration = {
    adapter: kyselyAdapterFactory(db, services.oauthApplications),
    clients: [],
    // The OAuth key, never the session key (RFC 8725 §3.12); published at /oauth/jwks only.
    jwks: { keys: [services.keys.privateJwk('oauth') as never] },
    cookies: {
      keys: [box.derive('oidc-provider cookies').toString('base64url')],
      names: COOKIE_NAMES,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    // Relative to the issuer's path: Clerk's /oauth/authorize, /oauth/token, …
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      introspection: '/token_info',
      revocation: '/token/revoke',
      registration: '/register',
      jwks: '/jwks',
      end_session: '/end_session',
    },
    scopes: [
      'openid',
      'offline_access',
      ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid'),
    ],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([k, v]) => [k, [...v]])),
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      authorizationSigningAlgValues: ['RS256'],
    },
    pkce: {
      required: (_ctx, client) =>
        client.clientAuthMethod === 'none' || client.metadata().latchkey_pkce_required === true,
    },
    extraClientMetadata: {
      properties: REGISTRATION_FLAGS,
      // A dynamically registered client does not choose these: it always uses PKCE and consent,
      // and is marked unvetted. Its other metadata is bounded (registration-policy.ts).
      validator(ctx, key, _value, metadata) {
        if (ctx?.oidc?.route !== 'registration') return
        const m = metadata as Record<string, unknown>
        if (key === REGISTRATION_FLAGS[0]) assertRegistrationBounds(m)
        m[key] = true
      },
    },
    features: {
      devInteractions: { enabled: false },
      // A client may introspect and revoke only the tokens issued to it.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      // No registration access token: its RFC 7592 read endpoint would answer the stored
      // SHA-256 as the client's `client_secret`, and an unused credential is better not issued.
      registration: {
        enabled: true,
        initialAccessToken: false,
        issueRegistrationAccessToken: false,
      },
      // Off: it was advertised at an address nothing served; the code flow needs no PAR.
      pushedAuthorizationRequests: { enabled: false },
      // Served by oauth.routes.ts in Clerk's shape (and without requiring the openid scope).
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: { enabled: false },
    },
    ttl: {
      AccessToken: () => settings.access_token_lifetime,
      AuthorizationCode: () => settings.authorization_code_lifetime,
      RefreshToken: () => settings.refresh_token_lifetime,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      // Remembered consent; a grant must outlive the refresh tokens it backs.
      Grant: () => Math.max(365 * 24 * 3600, settings.refresh_token_lifetime),
    },
    // Tokens live their own lifetimes; they do not end with oidc-provider's browser session.
    expiresWithSession: async () => false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Every refresh rotates; presenting a used refresh token revokes its whole grant.
    rotateRefreshToken: true,
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client?.clientId
      const accountId = ctx.oidc.session?.accountId
      if (!clientId || !accountId) return undefined
      const grantId =
        ctx.oidc.result?.consent?.grantId ??
        ctx.oidc.session?.grantIdFor(clientId) ??
        (await findRememberedGrantId(db, accountId, clientId))
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined
      if (grant && grant.accountId !== accountId) grant = undefined
      // Without a consent screen the application gets what it asked for (within its scopes).
      if (!consentEnabled(ctx)) {
        grant ??= new ctx.oidc.provider.Grant({ accountId, clientId })
        const requested = [...(ctx.oidc.requestParamScopes ?? [])]
        if (requested.length) grant.addOIDCScope(requested.join(' '))
        await grant.save()
      }
      return grant
    },
    async findAccount(_ctx, sub) {
      const found = await activeUser(services, sub)
      if (!found) return undefined
      return {
        accountId: sub,
        claims: async () => userClaims(found.user, found.emails, config.url),
      }
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}`,
    },
    async renderError(ctx, out, error) {
      ctx.type = 'html'
      const held = heldRedirect(error, { ...out })
      // prompt=none's errors carry 303, meant for the redirect that is not happening.
      if (ctx.status >= 300 && ctx.status < 400) ctx.status = 400
      ctx.body = held
        ? errorReturnPage({ error: out.error, description: out.error_description, ...held })
        : errorPage(out.error, out.error_description)
    },
    clientBasedCORS: () => true,
  }

  const provider = new Provider(issuer, configuration)
  // Koa reads X-Forwarded-*; the hand-off (http/forwarded.ts) rewrites them to the public URL's
  // scheme and host and the client IP Latchkey trusts, so what a client sends never reaches it.
  provider.proxy = true
  holdUnvettedRedirects(provider)

  // Client secrets are stored as SHA-256: hash what the client presents, then compare.
  provider.Client.prototype.compareClientSecret = function compare(
    this: { clientSecret?: string },
    actual: string,
  ) {
    const expected = this.clientSecret
    return Promise.resolve(typeof expected === 'string' && safeEqual(sha256(actual), expected))
  } as never

  provider.use(async (ctx, next) => {
    settings = (await services.instance.settings()).oauth
    if (ctx.path === '/register' && !settings.dynamic_oauth_client_registration) {
      ctx.status = 403
      ctx.body = {
        error: 'access_denied',
        error_description: 'dynamic client registration is disabled on this instance',
      }
      return
    }
    await next()
    if (ctx.oidc?.route === 'token' && ctx.status === 200) addAtHash(ctx.body, services)
    if (ctx.oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') {
      const doc = ctx.body as Record<string, unknown>
      doc.userinfo_endpoint = `${issuer}/userinfo`
      doc.claims_supported = [
        ...new Set([
          ...((doc.claims_supported as string[]) ?? []),
          'iss',
          'aud',
          'exp',
          'iat',
          'nonce',
        ]),
      ]
      if (!settings.dynamic_oauth_client_registration) delete doc.registration_endpoint
      ctx.set('cache-control', 'public, max-age=300')
      ctx.set('access-control-allow-origin', '*')
    }
  })

  provider.on('server_error', (_ctx, err) => log.error({ err }, 'oauth provider error'))
  return provider
}
