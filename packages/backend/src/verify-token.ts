import { Buffer } from 'node:buffer'
import { createPublicKey, type JsonWebKey, type KeyObject, verify as rsaVerify } from 'node:crypto'

/** Where the verification key comes from: a PEM public key, a JWKS URL, or the Backend API. */
export type KeySource =
  | { jwtKey: string }
  | { jwksUrl: string }
  | { apiUrl: string; secretKey: string }

export type VerifyOptions = KeySource & {
  /**
   * Allowed `azp` values (the origins of your app). When set, a token without `azp` is refused
   * (Clerk's rule): every session token minted for a browser carries its origin.
   */
  authorizedParties?: string[]
  /**
   * Required `aud` (one of). Without it a token that has an `aud` is refused: session tokens have
   * none, so an `aud` means the token was minted for someone else (a JWT template's audience, an
   * OAuth client).
   */
  audience?: string | string[]
  /**
   * Also accept JWT-template tokens (`getToken({ template })`), which carry no `sid`. Off by
   * default: only session tokens pass, so a template token handed to a partner, which may live
   * far longer than a session and survives its revocation, cannot pass as a session.
   */
  acceptTemplateTokens?: boolean
  /** Required `iss`. */
  issuer?: string
  /** Tolerance for `exp` / `nbf`, in milliseconds (default 5000). */
  clockSkewInMs?: number
  /** Verify as of this time (tests). */
  currentDate?: Date
}

/** Why a token was refused; `reason` is stable, for `switch`. */
export type TokenVerificationReason =
  | 'token-invalid'
  | 'token-expired'
  | 'token-not-active-yet'
  | 'token-invalid-signature'
  | 'token-invalid-authorized-parties'
  | 'token-invalid-audience'
  | 'token-invalid-issuer'
  | 'jwk-failed-to-resolve'

/** The verified claims of a session or template token. */
export type TokenClaims = {
  sub: string
  iss?: string
  aud?: string | string[]
  azp?: string
  exp?: number
  nbf?: number
  iat?: number
  sid?: string
  [claim: string]: unknown
}

/**
 * A refused token.
 *
 * @example
 * ```ts
 * try { await verifyToken(t, opts) } catch (e) { if (e instanceof TokenVerificationError) e.reason }
 * ```
 */
export class TokenVerificationError extends Error {
  readonly reason: TokenVerificationReason

  constructor(reason: TokenVerificationReason, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenVerificationError'
    this.reason = reason
  }
}

const fail = (reason: TokenVerificationReason, message: string, cause?: unknown): never => {
  throw new TokenVerificationError(reason, message, cause === undefined ? undefined : { cause })
}

/**
 * A JWKS kept in memory: fetched once, refetched after 10 minutes, and on an unknown `kid` (at
 * most every 30 s, so a flood of bad tokens cannot flood the issuer). Concurrent refreshes share
 * one request.
 */
class RemoteKeySet {
  readonly #url: string
  readonly #headers: Record<string, string>
  #keys = new Map<string, KeyObject>()
  #fetchedAt = 0
  #inflight: Promise<void> | undefined

  constructor(url: string, headers: Record<string, string>) {
    this.#url = url
    this.#headers = headers
  }

  /** The key, synchronously, when the cached set is fresh and has it (the common case). */
  peek(kid: string | undefined): KeyObject | undefined {
    if (this.#fetchedAt === 0 || Date.now() - this.#fetchedAt > 600_000) return undefined
    return this.#find(kid)
  }

  async get(kid: string | undefined): Promise<KeyObject> {
    const now = Date.now()
    if (this.#fetchedAt === 0 || now - this.#fetchedAt > 600_000) await this.#refresh()
    let key = this.#find(kid)
    if (!key && now - this.#fetchedAt > 30_000) {
      await this.#refresh()
      key = this.#find(kid)
    }
    return (
      key ?? fail('jwk-failed-to-resolve', `no key with kid ${kid ?? '(none)'} in ${this.#url}`)
    )
  }

  #find(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.#keys.get(kid)
    return this.#keys.size === 1 ? this.#keys.values().next().value : undefined
  }

  #refresh(): Promise<void> {
    this.#inflight ??= (async () => {
      try {
        const res = await fetch(this.#url, {
          headers: this.#headers,
          signal: AbortSignal.timeout(5000),
        })
        if (!res.ok) fail('jwk-failed-to-resolve', `${this.#url} answered ${res.status}`)
        const body = (await res.json()) as {
          keys?: Array<JsonWebKey & { kid?: string; kty?: string }>
        }
        const keys = new Map<string, KeyObject>()
        for (const jwk of body.keys ?? []) {
          if (jwk.kty !== 'RSA' || !jwk.kid) continue
          keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }))
        }
        this.#keys = keys
        this.#fetchedAt = Date.now()
      } catch (error) {
        if (error instanceof TokenVerificationError) throw error
        fail(
          'jwk-failed-to-resolve',
          `could not fetch ${this.#url}: ${(error as Error).message}`,
          error,
        )
      } finally {
        this.#inflight = undefined
      }
    })()
    return this.#inflight
  }
}

/* One key source per configuration, for the life of the process. */
const pemKeys = new Map<string, KeyObject>()
const keySets = new Map<string, RemoteKeySet>()

function keyFor(source: KeySource, kid: string | undefined): KeyObject | Promise<KeyObject> {
  if ('jwtKey' in source) {
    let key = pemKeys.get(source.jwtKey)
    if (!key) {
      try {
        key = createPublicKey(source.jwtKey.trim())
      } catch (error) {
        return fail('jwk-failed-to-resolve', 'jwtKey is not a PEM public key', error)
      }
      pemKeys.set(source.jwtKey, key)
    }
    return key
  }
  const url = 'jwksUrl' in source ? source.jwksUrl : `${source.apiUrl.replace(/\/+$/, '')}/v1/jwks`
  const headers: Record<string, string> =
    'secretKey' in source ? { authorization: `Bearer ${source.secretKey}` } : {}
  const id = `${url}\n${headers.authorization ?? ''}`
  let set = keySets.get(id)
  if (!set) {
    set = new RemoteKeySet(url, headers)
    keySets.set(id, set)
  }
  return set.peek(kid) ?? set.get(kid)
}

/* Every token from one key has the same header: parse each distinct header once. */
const headers = new Map<string, string | undefined>()

/** The `kid` of an RS256 header; refuses any other algorithm (no `none`, no HMAC confusion). */
function headerKid(h: string): string | undefined {
  if (headers.has(h)) return headers.get(h)
  const header = decodePart<{ alg?: unknown; kid?: unknown }>(h, 'header')
  if (header.alg !== 'RS256') fail('token-invalid', `alg ${String(header.alg)} is not RS256`)
  const kid = typeof header.kid === 'string' ? header.kid : undefined
  if (headers.size > 100) headers.clear()
  headers.set(h, kid)
  return kid
}

function decodePart<T>(part: string, what: string): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as T
  } catch {}
  return fail('token-invalid', `the token's ${what} is not a JSON object`)
}

/**
 * Verifies a Latchkey (or Clerk) session token: the RS256 signature against the key source (JWKS
 * cached in memory), `exp`/`nbf` with clock skew, a `sid`, no `aud` unless `audience` is given,
 * and optionally `azp` and `iss`. Template tokens pass only with `acceptTemplateTokens`. Returns
 * the claims. Verification is node:crypto's, synchronous once the key is cached:
 * this runs on every request of an app server.
 *
 * @example
 * ```ts
 * const claims = await verifyToken(token, {
 *   jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
 *   authorizedParties: ['https://app.example.com'],
 * })
 * claims.sub // the user id
 * ```
 */
export async function verifyToken(token: string, options: VerifyOptions): Promise<TokenClaims> {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2])
    fail('token-invalid', 'not a compact JWS')
  const [h, p, s] = parts as [string, string, string]
  const kid = headerKid(h)
  const found = keyFor(options, kid)
  const key = found instanceof Promise ? await found : found
  const ok = rsaVerify('sha256', Buffer.from(`${h}.${p}`, 'utf8'), key, Buffer.from(s, 'base64url'))
  if (!ok) fail('token-invalid-signature', 'signature verification failed')
  const claims = decodePart<TokenClaims>(p, 'payload')

  const now = Math.floor((options.currentDate?.getTime() ?? Date.now()) / 1000)
  const skew = Math.round((options.clockSkewInMs ?? 5000) / 1000)
  if (typeof claims.sub !== 'string') fail('token-invalid', 'token has no sub')
  if (typeof claims.exp !== 'number') fail('token-invalid', 'token has no exp')
  if ((claims.exp as number) <= now - skew) fail('token-expired', `token expired at ${claims.exp}`)
  if (typeof claims.nbf === 'number' && claims.nbf > now + skew)
    fail('token-not-active-yet', `token is not valid before ${claims.nbf}`)
  if (options.issuer !== undefined && claims.iss !== options.issuer)
    fail('token-invalid-issuer', `iss ${String(claims.iss)} is not ${options.issuer}`)
  // A session token names its session; only a caller that asked for template tokens takes one
  // without (RFC 8725 §3.11: a token of one kind must not pass as another).
  if (typeof claims.sid !== 'string' && !options.acceptTemplateTokens)
    fail('token-invalid', 'not a session token (no sid); pass acceptTemplateTokens for templates')
  if (options.audience !== undefined) {
    const wanted = [options.audience].flat()
    const got = claims.aud === undefined ? [] : [claims.aud].flat()
    if (!got.some((a) => wanted.includes(a)))
      fail(
        'token-invalid-audience',
        `aud ${JSON.stringify(claims.aud)} is not ${wanted.join(' or ')}`,
      )
  } else if (claims.aud !== undefined) {
    fail('token-invalid-audience', `aud ${JSON.stringify(claims.aud)} given, no audience expected`)
  }
  if (options.authorizedParties?.length) {
    if (typeof claims.azp !== 'string')
      fail('token-invalid-authorized-parties', 'token has no azp, and authorizedParties is set')
    else if (!options.authorizedParties.includes(claims.azp))
      fail('token-invalid-authorized-parties', `azp ${claims.azp} is not an authorized party`)
  }
  return claims
}
