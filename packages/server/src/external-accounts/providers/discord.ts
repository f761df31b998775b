import {
  checkEndpointBase,
  emailOf,
  fetchJson,
  oauth2Configuration,
  type Provider,
  refuseUnused,
  str,
} from './provider.js'

const WEB = 'https://discord.com'

type DiscordUser = {
  id?: unknown
  username?: unknown
  global_name?: unknown
  avatar?: unknown
  email?: unknown
  verified?: unknown
}

/**
 * Discord (plain OAuth 2, https://discord.com/developers/docs/topics/oauth2). Redirect to
 * register on the application: `<LATCHKEY_URL>/v1/oauth_callback`. Scopes `identify email`.
 *
 * Mapping, from `GET /api/users/@me`: `id` (a snowflake) → provider_user_id, `email` verified
 * only when `verified` is exactly `true` (Discord's flag for a confirmed address),
 * `global_name` (the display name, else `username`) → first name (Discord has no last name),
 * `username` → username, the avatar hash → `https://cdn.discordapp.com/avatars/<id>/<hash>.png`.
 *
 * `endpoint_base_url` (loopback only) serves `/oauth2/authorize` and `/api/*`: a stand-in.
 */
export const discord: Provider = {
  key: 'discord',
  name: 'Discord',
  protocol: 'oauth2',
  defaultScopes: 'identify email',
  requiredScopes: ['identify'],
  pkce: true,
  secretParam: 'client_secret',
  defaultIssuer: WEB,
  check: (input) => {
    refuseUnused(input, ['endpointBaseUrl', 'secret'])
    checkEndpointBase(input.endpointBaseUrl)
  },
  configuration: async (s) =>
    oauth2Configuration(s, s.endpointBaseUrl ?? WEB, {
      authorize: '/oauth2/authorize',
      token: '/api/oauth2/token',
    }),
  profile: async (input) => {
    const web = input.config.serverMetadata().issuer
    const me = (await fetchJson(input, new URL('/api/users/@me', web))) as DiscordUser
    const id = str(me.id)
    if (!id) throw new Error('Discord /users/@me has no id')
    const email = emailOf(me.email)
    const avatar = str(me.avatar)
    return {
      providerUserId: id,
      email,
      emailVerified: email !== null && me.verified === true,
      firstName: str(me.global_name) ?? str(me.username),
      lastName: null,
      username: str(me.username),
      imageUrl: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : null,
    }
  },
}
