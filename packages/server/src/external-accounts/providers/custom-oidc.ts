import {
  checkHttpsOrLoopback,
  discover,
  oidcClaims,
  type Provider,
  refuseUnused,
  standardProfile,
} from './provider.js'

/**
 * Any OpenID Connect provider by issuer (discovery), under `custom_<slug>` — Clerk's naming of
 * a custom provider. Redirect URI: `<LATCHKEY_URL>/v1/oauth_callback`. Mapping: OpenID Connect
 * Core §5.1 — `sub`, `email` verified only when `email_verified` is exactly `true`,
 * `given_name` / `family_name` (else `name` split), `preferred_username`, `picture`.
 */
export function customOidc(key: string): Provider {
  const slug = key.replace(/^custom_/, '').replace(/[_-]+/g, ' ')
  return {
    key,
    name: slug.charAt(0).toUpperCase() + slug.slice(1),
    protocol: 'oidc',
    defaultScopes: 'openid email profile',
    requiredScopes: ['openid'],
    pkce: true,
    secretParam: 'client_secret',
    defaultIssuer: undefined,
    check: (input) => {
      refuseUnused(input, ['issuer', 'secret'])
      if (input.issuer !== undefined) checkHttpsOrLoopback('issuer', input.issuer)
    },
    configuration: (s) => discover(s),
    profile: async (input) => standardProfile(await oidcClaims(input)),
  }
}
