import {
  ConnectionSettingError,
  checkHttpsOrLoopback,
  discover,
  isLoopback,
  oidcClaims,
  type Provider,
  refuseUnused,
  standardProfile,
} from './provider.js'

/** A tenant's v2.0 issuer: `https://login.microsoftonline.com/<tenant id>/v2.0`. */
const TENANT_ISSUER = /^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/v2\.0$/

/**
 * Microsoft (Entra ID / personal accounts, OpenID Connect v2.0 endpoint). The issuer names the
 * tenant (`https://login.microsoftonline.com/<tenant id>/v2.0`; the consumers tenant is
 * `9188040d-6c67-4c5b-b112-36a304b66dad`): the multi-tenant `common` and `organizations`
 * documents name a templated issuer no ID token matches, so they are refused. Redirect URI to
 * register (Web platform): `<LATCHKEY_URL>/v1/oauth_callback`. Scopes `openid email profile`.
 *
 * Mapping: `sub` (pairwise for this app) → provider_user_id; `email`; `given_name` /
 * `family_name` (optional claims, else `name` split); `preferred_username` is NOT used (a
 * mutable sign-in name); no picture (Graph only).
 *
 * Email trust (the "nOAuth" class): Entra lets a tenant's admin, and in some set-ups the user,
 * put any address in `email`, unverified. So the address is treated as verified only when the
 * token carries the `xms_edov` optional claim as `true` ("email domain owner verified": the
 * tenant proved it owns the address's domain). Without it the account still signs in and signs
 * up, but it is never linked to an existing user by email. To enable linking, add `xms_edov` as
 * an optional ID-token claim in the app registration's token configuration.
 */
export const microsoft: Provider = {
  key: 'microsoft',
  name: 'Microsoft',
  protocol: 'oidc',
  defaultScopes: 'openid email profile',
  requiredScopes: ['openid'],
  pkce: true,
  secretParam: 'client_secret',
  defaultIssuer: undefined,
  check: (input) => {
    refuseUnused(input, ['issuer', 'secret'])
    if (input.issuer === undefined) return
    const url = checkHttpsOrLoopback('issuer', input.issuer)
    if (!isLoopback(url) && !TENANT_ISSUER.test(input.issuer))
      throw new ConnectionSettingError(
        'issuer',
        'issuer must be https://login.microsoftonline.com/<tenant id>/v2.0.',
      )
  },
  configuration: (s) => discover(s),
  profile: async (input) => {
    const c = await oidcClaims(input)
    const p = standardProfile(c)
    return { ...p, emailVerified: p.email !== null && c.xms_edov === true, username: null }
  },
}
