import type { FastifyReply, FastifyRequest } from 'fastify'

/** The long-lived client cookie on the Frontend API host (Clerk's name). */
export const CLIENT_COOKIE = '__client'
const ONE_YEAR_S = 365 * 24 * 3600

/**
 * The caller's client token: the HttpOnly `__client` cookie for browsers, or the
 * `Authorization` header (bare or `Bearer`) for native and server-side clients.
 */
export function readClientToken(
  req: FastifyRequest,
): { value: string; source: 'cookie' | 'header' } | undefined {
  const cookie = req.cookies[CLIENT_COOKIE]
  if (cookie) return { value: cookie, source: 'cookie' }
  const header = req.headers.authorization
  if (header) return { value: header.replace(/^Bearer\s+/i, '').trim(), source: 'header' }
  return undefined
}

/** Whether the caller is a non-browser client that wants its token in a response header. */
function isNative(req: FastifyRequest): boolean {
  const q = req.query as Record<string, unknown> | undefined
  return (
    req.headers.authorization !== undefined || q?._is_native === '1' || q?._is_native === 'true'
  )
}

/** Hands a new client token to the caller: cookie for browsers, `Authorization` header for native. */
export function writeClientToken(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
  secure: boolean,
): void {
  if (isNative(req)) {
    reply.header('authorization', token)
    return
  }
  reply.setCookie(CLIENT_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    maxAge: ONE_YEAR_S,
  })
}
