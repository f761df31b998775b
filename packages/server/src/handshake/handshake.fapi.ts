import type { FastifyInstance } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { readClientToken } from '../http/client-token.js'
import { zodToApiError } from '../http/zod-errors.js'
import type { Services } from '../services.js'

/**
 * What Clerk's server SDKs send (`@clerk/backend` HandshakeService.buildRedirectToHandshake):
 * `redirect_url`, `format=nonce`, `suffixed_cookies`, `__clerk_api_version`, `__clerk_hs_reason`,
 * the stale `__session`, `organization_id`, and on a development key `__clerk_db_jwt`. The
 * others are accepted and ignored (Latchkey has no organizations yet).
 */
const HandshakeQuery = z.object({
  redirect_url: z.string().min(1).max(4096),
  format: z.enum(['nonce', 'token']).default('token'),
  suffixed_cookies: z.enum(['true', 'false']).default('false'),
  __clerk_hs_reason: z.string().max(200).optional(),
  // The app's development-browser value, set back as a cookie: a cookie value, nothing more.
  __clerk_db_jwt: z
    .string()
    .regex(/^[\w.-]{1,512}$/)
    .optional(),
})

/**
 * `GET /v1/client/handshake` (fapi spec `handshakeClient`): a top-level navigation, so the
 * answer is a redirect back to the app (307, like Clerk's), never the JSON envelope. Nothing is
 * cached: the redirect carries a credential.
 */
export function handshakeRoutes(app: FastifyInstance, services: Services, config: Config): void {
  app.get('/v1/client/handshake', async (req, reply) => {
    reply.header('cache-control', 'no-store')
    const parsed = HandshakeQuery.safeParse(req.query ?? {})
    if (!parsed.success) throw zodToApiError(parsed.error, 'query', req.query)
    const location = await services.handshake.begin(readClientToken(req, config.url)?.value, {
      redirectUrl: parsed.data.redirect_url,
      format: parsed.data.format,
      suffixedCookies: parsed.data.suffixed_cookies === 'true',
      devBrowser:
        parsed.data.__clerk_db_jwt ??
        (parsed.data.__clerk_hs_reason === 'dev-browser-missing' ? 'new' : undefined),
    })
    return reply.code(307).header('location', location).send()
  })
}
