import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.schema.js'
import { sendJson } from '../http/define-route.js'
import type { Services } from '../services.js'

/**
 * The discovery document every verifier reads: Convex needs `issuer`, `authorization_endpoint`,
 * `jwks_uri`, `response_types_supported`, `subject_types_supported` and
 * `id_token_signing_alg_values_supported`, with `issuer` equal to the tokens' `iss`.
 */
export function discoveryDocument(config: Config) {
  const url = config.url
  return {
    issuer: url,
    authorization_endpoint: `${url}/oauth/authorize`,
    token_endpoint: `${url}/oauth/token`,
    userinfo_endpoint: `${url}/oauth/userinfo`,
    jwks_uri: `${url}/.well-known/jwks.json`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: [
      'openid',
      'profile',
      'email',
      'public_metadata',
      'private_metadata',
      'offline_access',
    ],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'email',
      'email_verified',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'picture',
    ],
    code_challenge_methods_supported: ['S256'],
  }
}

/** Public, unauthenticated, cacheable documents (`Access-Control-Allow-Origin: *`). */
export function wellKnownRoutes(app: FastifyInstance, services: Services, config: Config): void {
  const doc = discoveryDocument(config)
  app.get('/.well-known/openid-configuration', (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return sendJson(reply, 200, doc)
  })
  app.get('/.well-known/jwks.json', (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return sendJson(reply, 200, services.keys.jwks())
  })
}
