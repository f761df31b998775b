import type { FastifyReply, FastifyRequest } from 'fastify'

/** The long-lived client cookie on the Frontend API host over plain HTTP (Clerk's name). */
export const CLIENT_COOKIE = '__client'
/**
 * Its name over https. The `__Host-` prefix makes browsers accept it only host-only, `Secure`
 * and on `/`: a sibling subdomain (`evil.example.com` setting `Domain=example.com`) or a plain
 * HTTP page cannot plant one (issue #13 §3). Over https a plain `__client` is not read at all.
 */
export const HOST_CLIENT_COOKIE = '__Host-client'
const ONE_YEAR_S = 365 * 24 * 3600

/** The client cookie's name for a deployment at this public URL. */
export function clientCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? HOST_CLIENT_COOKIE : CLIENT_COOKIE
}

/**
 * The caller's client token: the HttpOnly `__client` cookie for browsers, or the
 * `Authorization` header (bare or `Bearer`) for native and server-side clients.
 */
export function readClientToken(
  req: FastifyRequest,
  publicUrl: string,
): { value: string; source: 'cookie' | 'header' } | undefined {
  const cookie = req.cookies[clientCookieName(publicUrl)]
  if (cookie) return { value: cookie, source: 'cookie' }
  const header = req.headers.authorization
  if (header) return { value: header.replace(/^Bearer\s+/i, '').trim(), source: 'header' }
  return undefined
}

/** Whether the caller is a non-browser client that wants its token in a response header. */
export function isNative(req: FastifyRequest): boolean {
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
  publicUrl: string,
): void {
  if (isNative(req)) {
    reply.header('authorization', token)
    return
  }
  // No Domain attribute: the cookie belongs to the Frontend API's host alone.
  reply.setCookie(clientCookieName(publicUrl), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: publicUrl.startsWith('https:'),
    maxAge: ONE_YEAR_S,
  })
}
