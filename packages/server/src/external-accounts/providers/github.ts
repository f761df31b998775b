import type * as oidc from 'openid-client'
import {
  checkEndpointBase,
  emailOf,
  fetchJson,
  oauth2Configuration,
  type Provider,
  refuseUnused,
  splitName,
  str,
} from './provider.js'

const WEB = 'https://github.com'
const API = 'https://api.github.com'
const HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }

type GitHubUser = { id?: unknown; login?: unknown; name?: unknown; avatar_url?: unknown }
type GitHubEmail = { email?: unknown; primary?: unknown; verified?: unknown }

/**
 * GitHub (plain OAuth 2, an OAuth App or a GitHub App's user authorization,
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps).
 * Authorization callback URL to register: `<LATCHKEY_URL>/v1/oauth_callback`. Scopes
 * `read:user user:email`. No ID token: the person is read with the access token.
 *
 * Mapping: `/user` `id` → provider_user_id (the numeric id: a login can be renamed and
 * re-registered by someone else), `login` → username, `name` split into first and last,
 * `avatar_url` → image_url. The address is the PRIMARY entry of `/user/emails` — which lists
 * private addresses too — and it is verified only when that entry says `verified: true`.
 * `/user`'s public `email` is never trusted as verified (it is whatever the user shows); it is
 * used, unverified, only when `/user/emails` is not readable (the scope was not granted).
 *
 * `endpoint_base_url` (loopback only) serves `/login/oauth/*` and the API from one origin: a
 * stand-in in tests.
 */
export const github: Provider = {
  key: 'github',
  name: 'GitHub',
  protocol: 'oauth2',
  defaultScopes: 'read:user user:email',
  requiredScopes: [],
  pkce: true,
  secretParam: 'client_secret',
  defaultIssuer: WEB,
  check: (input) => {
    refuseUnused(input, ['endpointBaseUrl', 'secret'])
    checkEndpointBase(input.endpointBaseUrl)
  },
  configuration: async (s) =>
    oauth2Configuration(s, s.endpointBaseUrl ?? WEB, {
      authorize: '/login/oauth/authorize',
      token: '/login/oauth/access_token',
    }),
  profile: async (input) => {
    const api = apiBase(input.config)
    const user = (await fetchJson(input, new URL('/user', api), HEADERS)) as GitHubUser
    if (typeof user.id !== 'number' && typeof user.id !== 'string')
      throw new Error('GitHub /user has no id')
    const emails = await fetchJson(input, new URL('/user/emails', api), HEADERS).catch(() => null)
    const primary = Array.isArray(emails)
      ? (emails as GitHubEmail[]).find((e) => e.primary === true)
      : undefined
    const fallback = Array.isArray(emails) ? null : emailOf((user as { email?: unknown }).email)
    return {
      providerUserId: String(user.id),
      email: primary ? emailOf(primary.email) : fallback,
      emailVerified: primary?.verified === true && emailOf(primary.email) !== null,
      ...splitName(user.name),
      username: str(user.login),
      imageUrl: str(user.avatar_url),
    }
  },
}

/** api.github.com, or the stand-in's origin when the endpoints were overridden. */
function apiBase(config: oidc.Configuration): string {
  const web = config.serverMetadata().issuer
  return web === WEB ? API : web
}
