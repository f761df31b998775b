import {
  createLocalJWKSet,
  createRemoteJWKSet,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'

/** Where the verification key comes from: a PEM public key, a JWKS URL, or the Backend API. */
export type KeySource =
  | { jwtKey: string }
  | { jwksUrl: string }
  | { apiUrl: string; secretKey: string }

export type VerifyOptions = KeySource & {
  /** Allowed `azp` values (the origins of your app). A token without `azp` passes. */
  authorizedParties?: string[]
  /** Required `aud` (one of). */
  audience?: string | string[]
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

/* One key resolver per source, for the life of the process: jose caches the JWKS, refetches it
 * on an unknown `kid` (at most every 30 s) and after 10 minutes. */
const resolvers = new Map<string, JWTVerifyGetKey>()

async function resolverFor(source: KeySource): Promise<JWTVerifyGetKey> {
  if ('jwtKey' in source) {
    const id = `pem:${source.jwtKey}`
    let r = resolvers.get(id)
    if (!r) {
      const key = await importSPKI(source.jwtKey.trim(), 'RS256')
      r = async () => key
      resolvers.set(id, r)
    }
    return r
  }
  const url = 'jwksUrl' in source ? source.jwksUrl : `${source.apiUrl.replace(/\/+$/, '')}/v1/jwks`
  const headers: Record<string, string> =
    'secretKey' in source ? { authorization: `Bearer ${source.secretKey}` } : {}
  const id = `url:${url}:${headers.authorization ?? ''}`
  let r = resolvers.get(id)
  if (!r) {
    r = createRemoteJWKSet(new URL(url), {
      headers,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    })
    resolvers.set(id, r)
  }
  return r
}

/** A JWKS you already hold (no network). */
export function localKeySet(jwks: { keys: object[] }): JWTVerifyGetKey {
  return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0])
}

function mapError(error: unknown): TokenVerificationError {
  if (error instanceof TokenVerificationError) return error
  if (error instanceof joseErrors.JWTExpired)
    return new TokenVerificationError('token-expired', error.message, { cause: error })
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const reason: TokenVerificationReason =
      error.claim === 'nbf'
        ? 'token-not-active-yet'
        : error.claim === 'aud'
          ? 'token-invalid-audience'
          : error.claim === 'iss'
            ? 'token-invalid-issuer'
            : 'token-invalid'
    return new TokenVerificationError(reason, error.message, { cause: error })
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenVerificationError('token-invalid-signature', error.message, { cause: error })
  }
  if (
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSTimeout ||
    (error instanceof joseErrors.JOSEError && error.code === 'ERR_JWKS_INVALID')
  ) {
    return new TokenVerificationError('jwk-failed-to-resolve', (error as Error).message, {
      cause: error,
    })
  }
  return new TokenVerificationError(
    'token-invalid',
    error instanceof Error ? error.message : String(error),
    { cause: error },
  )
}

/**
 * Verifies a Latchkey (or Clerk) session or template token: RS256 signature from the chosen key
 * source, `exp`/`nbf` with clock skew, and optionally `azp`, `aud` and `iss`. Returns the claims.
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
export async function verifyToken(
  token: string,
  options: VerifyOptions,
): Promise<JWTPayload & { sub: string }> {
  try {
    const resolve = await resolverFor(options)
    // Any failure to obtain the key (network, 401 from the Backend API, unknown kid) is one reason.
    const getKey: JWTVerifyGetKey = async (header, input) => {
      try {
        return await resolve(header, input)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        throw new TokenVerificationError('jwk-failed-to-resolve', message, { cause: error })
      }
    }
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: ['RS256'],
      clockTolerance: Math.round((options.clockSkewInMs ?? 5000) / 1000),
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    })
    if (typeof payload.sub !== 'string')
      throw new TokenVerificationError('token-invalid', 'token has no sub')
    const azp = payload.azp
    if (
      options.authorizedParties?.length &&
      typeof azp === 'string' &&
      !options.authorizedParties.includes(azp)
    ) {
      throw new TokenVerificationError(
        'token-invalid-authorized-parties',
        `azp ${azp} is not an authorized party`,
      )
    }
    return payload as JWTPayload & { sub: string }
  } catch (error) {
    throw mapError(error)
  }
}
