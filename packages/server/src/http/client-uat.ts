import type { FastifyReply } from 'fastify'
import { CLIENT_UAT_COOKIE, clientUatOf } from '../handshake/handshake-cookies.js'

const ONE_YEAR_S = 365 * 24 * 3600

/**
 * `__client_uat` on the Frontend API's host, as Clerk's Frontend API sets it with every client it
 * answers: the second of the client's last change while signed in, else 0. When the Frontend API
 * is reached through the app's own origin (a `proxyUrl`), this is the app's domain, and
 * `@clerk/backend` on the app's server sees a sign-in or sign-out at once. Not HttpOnly, as in
 * Clerk: clerk-js reads it. It proves nothing by itself: `@clerk/backend` only uses it to decide
 * whether to ask for a handshake.
 */
export function writeClientUat(
  reply: FastifyReply,
  client: { updated_at: number; sessions: readonly unknown[] } | null,
  publicUrl: string,
): void {
  const value = clientUatOf(client ?? undefined, (client?.sessions.length ?? 0) > 0)
  reply.setCookie(CLIENT_UAT_COOKIE, String(value), {
    path: '/',
    sameSite: 'lax',
    secure: publicUrl.startsWith('https:'),
    maxAge: ONE_YEAR_S,
  })
}
