import {
  type TokenClaims,
  TokenVerificationError,
  type TokenVerificationReason,
  type VerifyOptions,
  verifyToken,
} from './verify-token.js'

/** The auth state of one request: signed in with verified claims, or signed out and why. */
export type RequestAuth =
  | { isSignedIn: true; userId: string; sessionId: string | undefined; claims: TokenClaims }
  | {
      isSignedIn: false
      userId: null
      sessionId: null
      claims: null
      reason: TokenVerificationReason | 'no-token' | 'session-pending'
    }

/** {@link authenticateToken}'s options: {@link VerifyOptions}, and how to take a pending session. */
export type AuthenticateOptions = VerifyOptions & {
  /**
   * A session with tasks still to do (`sts: 'pending'`, e.g. MFA to set up) counts as signed
   * out, reason `session-pending` (Clerk's `treatPendingAsSignedOut`, on by default).
   */
  treatPendingAsSignedOut?: boolean
}

const SIGNED_OUT_NO_TOKEN: RequestAuth = {
  isSignedIn: false,
  userId: null,
  sessionId: null,
  claims: null,
  reason: 'no-token',
}

/** Reads the session token from `Authorization: Bearer …` or the `__session` cookie. */
export function tokenFromHeaders(
  authorization: string | null | undefined,
  cookie: string | null | undefined,
): string | undefined {
  const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined
  if (bearer) return bearer
  if (!cookie) return undefined
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === '__session') {
      const value = part.slice(eq + 1).trim()
      try {
        return decodeURIComponent(value) || undefined
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

/** Verifies a request's token (if any) into a {@link RequestAuth}; never throws for a bad token. */
export async function authenticateToken(
  token: string | undefined,
  options: AuthenticateOptions,
): Promise<RequestAuth> {
  if (!token) return SIGNED_OUT_NO_TOKEN
  try {
    const claims = await verifyToken(token, options)
    if (claims.sts === 'pending' && options.treatPendingAsSignedOut !== false)
      return {
        isSignedIn: false,
        userId: null,
        sessionId: null,
        claims: null,
        reason: 'session-pending',
      }
    return {
      isSignedIn: true,
      userId: claims.sub,
      sessionId: typeof claims.sid === 'string' ? claims.sid : undefined,
      claims,
    }
  } catch (error) {
    if (!(error instanceof TokenVerificationError)) throw error
    return { isSignedIn: false, userId: null, sessionId: null, claims: null, reason: error.reason }
  }
}

/**
 * Authenticates a Fetch-API `Request` (Next.js route handlers, Hono, Bun, Deno-style servers):
 * the Bearer header or the `__session` cookie, verified like {@link verifyToken}.
 *
 * @example
 * ```ts
 * const auth = await authenticateRequest(request, { jwksUrl, authorizedParties: ['https://app.example.com'] })
 * if (!auth.isSignedIn) return new Response('Unauthorized', { status: 401 })
 * ```
 */
export function authenticateRequest(
  request: Request,
  options: AuthenticateOptions,
): Promise<RequestAuth> {
  return authenticateToken(
    tokenFromHeaders(request.headers.get('authorization'), request.headers.get('cookie')),
    options,
  )
}
