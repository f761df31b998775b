import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.schema.js'
import { sendJson } from '../http/define-route.js'
import { oauthIssuer } from '../oauth/issuer.js'
import type { Services } from '../services.js'

/**
 * The session-token issuer (LATCHKEY_URL): its JWKS, which session and template tokens verify
 * against, and its discovery document, which Convex and InstantDB read to find that JWKS.
 *
 * The document names what those verifiers require (DESIGN.md §1: Convex checks every field
 * here) and nothing more. OAuth ID tokens come from another issuer, `{LATCHKEY_URL}/oauth`, with
 * its own document and key (oauth/provider.ts): an OpenID Connect client configured with
 * LATCHKEY_URL as its issuer finds no token endpoint here, and no key that verifies an ID token,
 * so it fails at once rather than accept ID tokens as this issuer's.
 */
export function wellKnownRoutes(app: FastifyInstance, services: Services, config: Config): void {
  const discovery = {
    issuer: config.url,
    jwks_uri: `${config.url}/.well-known/jwks.json`,
    // Required by Convex; where the OAuth issuer's authorization requests go.
    authorization_endpoint: `${oauthIssuer(config)}/authorize`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  }
  app.get('/.well-known/openid-configuration', (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return sendJson(reply, 200, discovery)
  })
  app.get('/.well-known/jwks.json', (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return sendJson(reply, 200, services.keys.jwks('session'))
  })
}
