import { importPKCS8, SignJWT } from 'jose'
import type * as oidc from 'openid-client'
import {
  ConnectionSettingError,
  type ConnectionSettings,
  checkFixedIssuer,
  discover,
  emailOf,
  type Provider,
  refuseUnused,
  str,
} from './provider.js'

const ISSUER = 'https://appleid.apple.com'
/** Apple accepts client secrets valid up to six months; one minted per request lives 5 min. */
const SECRET_TTL_S = 300

/**
 * Sign in with Apple (OpenID Connect with Apple's quirks,
 * https://developer.apple.com/documentation/accountorganizationaldatasharing). Register the
 * Services ID's return URL `<LATCHKEY_URL>/v1/oauth_callback` (https, no localhost at Apple).
 * Scopes `name email`. The connection's `client_id` is the Services ID; instead of a client
 * secret it holds the team's `team_id`, the key's `key_id` and its `private_key` (the .p8 PEM,
 * sealed at rest): each token request carries a fresh ES256 client-secret JWT (`iss` team id,
 * `sub` client id, `aud` Apple, 5 minutes) minted with jose.
 *
 * Apple answers with `response_mode=form_post`: a cross-site POST to the callback, which sends
 * it on to the GET where the `__client` cookie travels. No PKCE (state and the ID token's nonce
 * bind the answer to this browser's flow).
 *
 * Mapping: ID token `sub` → provider_user_id; `email` with `email_verified`, which Apple sends
 * as `true` or the string `"true"` (private relay addresses are verified too). The name is
 * NEVER in the ID token: Apple posts it once, in the first authorization's `user` form field
 * (`{"name":{"firstName","lastName"}}`), unsigned — so it fills first and last name and
 * nothing else; later sign-ins carry no name. No username, no picture.
 */
export const apple: Provider = {
  key: 'apple',
  name: 'Apple',
  protocol: 'oidc',
  defaultScopes: 'name email',
  requiredScopes: [],
  pkce: false,
  secretParam: 'private_key',
  authorizationParams: { response_mode: 'form_post' },
  defaultIssuer: ISSUER,
  check: async (input, creating) => {
    refuseUnused(input, ['issuer', 'teamId', 'keyId', 'privateKey'])
    checkFixedIssuer(input.issuer, ISSUER)
    for (const [param, v] of [
      ['team_id', input.teamId],
      ['key_id', input.keyId],
    ] as const) {
      if (creating && v === undefined)
        throw new ConnectionSettingError(param, `${param} is missing.`)
      if (v !== undefined && !/^[A-Z0-9]{10}$/.test(v))
        throw new ConnectionSettingError(param, `${param} must be Apple's 10-character id.`)
    }
    if (input.privateKey !== undefined) await checkApplePrivateKey(input.privateKey)
  },
  configuration: async (s) => discover(s, await clientSecretJwt(s)),
  profile: async (input) => {
    const c = input.tokens.claims()
    if (!c) throw new Error('no ID token')
    const email = emailOf(c.email)
    const name = firstAuthorizationName(input.callbackUrl.searchParams.get('user'))
    return {
      providerUserId: c.sub,
      email,
      emailVerified: email !== null && (c.email_verified === true || c.email_verified === 'true'),
      firstName: name.firstName,
      lastName: name.lastName,
      username: null,
      imageUrl: null,
    }
  },
}

/** Checks a team's private key before it is stored: an EC P-256 key in PKCS #8 PEM. */
async function checkApplePrivateKey(pem: string): Promise<void> {
  try {
    await importPKCS8(pem, 'ES256')
  } catch {
    throw new ConnectionSettingError('private_key', 'private_key must be a PKCS #8 P-256 PEM.')
  }
}

/** `client_secret_post` with a client-secret JWT minted for each token request. */
async function clientSecretJwt(s: ConnectionSettings): Promise<oidc.ClientAuth> {
  const key = await importPKCS8(s.secret, 'ES256')
  return async (as, client, body) => {
    const iat = Math.floor(s.now() / 1000)
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: s.keyId ?? '' })
      .setIssuer(s.teamId ?? '')
      .setSubject(client.client_id)
      .setAudience(as.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + SECRET_TTL_S)
      .sign(key)
    body.set('client_id', client.client_id)
    body.set('client_secret', jwt)
  }
}

/** Apple's first-authorization `user` field: its name, when it parses; else none. */
function firstAuthorizationName(raw: string | null) {
  let parsed: unknown
  try {
    parsed = raw ? JSON.parse(raw) : undefined
  } catch {
    parsed = undefined
  }
  const name = (parsed as { name?: { firstName?: unknown; lastName?: unknown } } | undefined)?.name
  return {
    firstName: str(name?.firstName)?.slice(0, 256) ?? null,
    lastName: str(name?.lastName)?.slice(0, 256) ?? null,
  }
}
