import {
  checkHttpsOrLoopback,
  discover,
  oidcClaims,
  type Provider,
  refuseUnused,
  standardProfile,
  str,
} from './provider.js'

/**
 * GitLab (OpenID Connect, https://docs.gitlab.com/integration/openid_connect_provider/):
 * gitlab.com by default, or a self-managed instance's issuer (its base URL). Redirect URI to
 * register on the application: `<LATCHKEY_URL>/v1/oauth_callback`, with the `openid`,
 * `email` and `profile` scopes. Mapping: `sub` → provider_user_id; `email` with
 * `email_verified` (GitLab sets it for a confirmed address); `name` split into first and last;
 * `nickname` (the GitLab username, else `preferred_username`) → username; `picture`.
 */
export const gitlab: Provider = {
  key: 'gitlab',
  name: 'GitLab',
  protocol: 'oidc',
  defaultScopes: 'openid email profile',
  requiredScopes: ['openid'],
  pkce: true,
  secretParam: 'client_secret',
  defaultIssuer: 'https://gitlab.com',
  check: (input) => {
    refuseUnused(input, ['issuer', 'secret'])
    if (input.issuer !== undefined) checkHttpsOrLoopback('issuer', input.issuer)
  },
  configuration: (s) => discover(s),
  profile: async (input) => {
    const c = await oidcClaims(input)
    const p = standardProfile(c)
    return { ...p, username: str(c.nickname) ?? p.username }
  },
}
