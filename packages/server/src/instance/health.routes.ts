import type { FastifyInstance } from 'fastify'
import { sendJson } from '../http/define-route.js'
import type { Services } from '../services.js'

/**
 * Clerk's `GET /v1/health` (fapi spec: Health): 200 `{ status: 'healthy' }` while this process
 * can reach its database, 503 otherwise. Load balancers and container health checks poll it, so
 * it needs no key, no client and no cookie.
 */
export function healthRoutes(app: FastifyInstance, services: Services): void {
  app.get('/v1/health', async (_req, reply) => {
    reply.header('cache-control', 'no-store')
    return (await services.instance.healthy())
      ? sendJson(reply, 200, { status: 'healthy' })
      : sendJson(reply, 503, { status: 'unhealthy' })
  })
}
