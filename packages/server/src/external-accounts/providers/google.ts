import {
  checkFixedIssuer,
  discover,
  oidcClaims,
  type Provider,
  refuseUnused,
  standardProfile,
} from './provider.js'

const ISSUER = 'https://accounts.google.com'

/**
 * Google (OpenID Connect, https://developers.google.com/identity/openid-connect/openid-connect).
 * Redirect URI to register: `<LATCHKEY_URL>/v1/oauth_callback`. Scopes `openid email profile`.
 * Mapping: `sub` → provider_user_id; `email` and `email_verified` from the ID token (Google
 * sets it true for Gmail and for Workspace addresses it owns); `given_name`, `family_name`,
 * `picture`; no username. The issuer is Google's, or a stand-in on loopback.
 */
export const google: Provider = {
  key: 'google',
  name: 'Google',
  protocol: 'oidc',
  defaultScopes: 'openid email profile',
  requiredScopes: ['openid'],
  pkce: true,
  secretParam: 'client_secret',
  defaultIssuer: ISSUER,
  check: (input) => {
    refuseUnused(input, ['issuer', 'secret'])
    checkFixedIssuer(input.issuer, ISSUER)
  },
  configuration: (s) => discover(s),
  profile: async (input) => ({ ...standardProfile(await oidcClaims(input)), username: null }),
}
