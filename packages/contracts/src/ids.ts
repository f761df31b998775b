/**
 * Clerk-style prefixed identifiers, typed as brands so a session id can never be passed where a
 * user id is expected.
 */
export const ID_PREFIXES = {
  instance: 'ins',
  user: 'user',
  email: 'idn',
  session: 'sess',
  client: 'client',
  signIn: 'sia',
  signUp: 'sua',
  signingKey: 'key',
  apiKey: 'ak',
  jwtTemplate: 'jtmp',
  oauthApplication: 'oa',
  verification: 'ver',
  allowlistIdentifier: 'alid',
  blocklistIdentifier: 'blid',
  totp: 'totp',
  backupCode: 'bc',
  sessionVerification: 'sver',
  passkey: 'pk',
  oauthConnection: 'oac',
  externalAccount: 'eac',
  oauthFlow: 'ofl',
  webhookEvent: 'msg',
  samlConnection: 'samlc',
  enterpriseConnection: 'entc',
  webhookEndpoint: 'whe',
  webhookDelivery: 'whd',
  webhookAttempt: 'wha',
  operatorCredential: 'opc',
  auditEvent: 'aud',
} as const

/** A kind of resource that has a prefixed id. */
export type IdKind = keyof typeof ID_PREFIXES

/** A prefixed id of one resource kind. */
export type Id<K extends IdKind> = string & { readonly __brand: K }
export type UserId = Id<'user'>
export type SessionId = Id<'session'>
export type ClientId = Id<'client'>
export type SignInId = Id<'signIn'>
export type SignUpId = Id<'signUp'>
export type EmailAddressId = Id<'email'>
export type InstanceId = Id<'instance'>

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * Random bytes drawn in 4 KiB batches, as Node's `randomUUID` does: one CSPRNG call per ~150
 * ids instead of one each (every token mint draws a `jti`).
 */
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let poolAt = POOL_BYTES

/**
 * Random base62 text from the platform CSPRNG (`crypto.getRandomValues`, in browsers and Node).
 *
 * @example
 * ```ts
 * randomBase62(27) // '2ZQ3…'
 * ```
 */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    if (poolAt === POOL_BYTES) {
      crypto.getRandomValues(pool)
      poolAt = 0
    }
    const b = pool[poolAt++] as number
    // 248 = 62 * 4: reject the tail so every character is equally likely.
    if (b < 248) out += ALPHABET[b % 62]
  }
  return out
}

/**
 * A new id of the given kind: prefix, underscore, 27 base62 characters (about 160 bits).
 *
 * @example
 * ```ts
 * const id = newId('user') // 'user_2ZQ3…'
 * ```
 */
export function newId<K extends IdKind>(kind: K): Id<K> {
  return `${ID_PREFIXES[kind]}_${randomBase62(27)}` as Id<K>
}

/**
 * Whether `value` looks like an id of `kind`, to reject malformed ids with a 4xx before any
 * database work.
 *
 * @example
 * ```ts
 * isId('user', 'user_2ZQ3abc') // true
 * ```
 */
export function isId<K extends IdKind>(kind: K, value: string): value is Id<K> {
  const prefix = `${ID_PREFIXES[kind]}_`
  return value.startsWith(prefix) && /^[0-9A-Za-z]{1,64}$/.test(value.slice(prefix.length))
}
