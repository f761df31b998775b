import type { FastifyInstance } from 'fastify'
import { sendJson } from '../http/define-route.js'
import type { Services } from '../services.js'

/**
 * The instance JWKS: session tokens, JWT templates' default key and OAuth ID tokens are all
 * verified against it. (The discovery document is served by the OAuth provider, oauth/provider.ts,
 * which points its `jwks_uri` here.)
 */
export function wellKnownRoutes(app: FastifyInstance, services: Services): void {
  app.get('/.well-known/jwks.json', (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return sendJson(reply, 200, services.keys.jwks())
  })
}
