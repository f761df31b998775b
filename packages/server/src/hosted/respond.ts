import type { FastifyReply } from 'fastify'
import type { Config } from '../config/config.schema.js'
import { userClaims } from '../oauth/provider.js'
import type { Services } from '../services.js'

/**
 * The server-rendered pages' CSP. The OAuth pages load no script; the hosted account pages load
 * the `@latchkey/js` bundle from this server and call its Frontend API. `form-action` stays open
 * so a form can end in a redirect to an allowed app or OAuth client.
 */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'"
const HOSTED_CSP = `${PAGE_CSP}; script-src 'self'; connect-src 'self'`

export function html(reply: FastifyReply, status: number, body: string, scripts = false) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', scripts ? HOSTED_CSP : PAGE_CSP)
    .header('cache-control', 'no-store')
    .send(body)
}

/** Only URLs on this server or an allowed origin may be redirected to after signing in. */
export async function safeRedirect(
  services: Services,
  config: Config,
  value: unknown,
): Promise<string | undefined> {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined
  const target = URL.parse(value, config.url)
  if (!target || !/^https?:$/.test(target.protocol)) return undefined
  if (target.origin === new URL(config.url).origin) return target.href
  return (await services.instance.isAllowedOrigin(target.origin)) ? target.href : undefined
}

/** How a page names the signed-in user: email, else name, else username, else id. */
export async function userLabel(services: Services, userId: string): Promise<string> {
  const { user, emails } = await services.users.withEmails(userId)
  const claims = userClaims(user, emails, services.instance.baseUrl)
  return claims.email ?? claims.name ?? claims.preferred_username ?? user.id
}
