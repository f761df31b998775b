import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance, FastifyReply } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import type { Services } from '../services.js'
import { handOverRedirect, samlHandOverRoutes } from './saml-idp-initiated.routes.js'

const AcsBody = z.looseObject({
  SAMLResponse: z.string().min(1).max(512_000),
  RelayState: z.string().max(1024).optional(),
})
const ID = /^samlc_[0-9A-Za-z]{1,64}$/

/**
 * The SAML service provider's endpoints on the Frontend API host (fapi spec `samlMetadata`,
 * `acs`). The metadata is public. The ACS takes the IdP's HTTP-POST: a response that checks out
 * is stored on its flow, and the browser goes on to `/v1/oauth_callback` with the flow's state,
 * where — as for an OAuth provider — the state must be this browser's (its `__client` cookie,
 * which a cross-site POST does not carry, is sent on that top-level GET), the verification is
 * counted and used once, and the sign-in completes, links or transfers to a sign-up.
 */
export function samlRoutes(app: FastifyInstance, services: Services, config: Config): void {
  app.get('/v1/saml/metadata/:file', async (req, reply) => {
    const file = (req.params as { file: string }).file
    const id = file.endsWith('.xml') ? file.slice(0, -4) : ''
    const row = ID.test(id) ? await services.enterpriseConnections.find(id) : undefined
    if (row?.protocol !== 'saml')
      return fail(reply, ApiError.of('resource_not_found', { longMessage: 'No SAML connection.' }))
    return reply
      .code(200)
      .header('cache-control', 'public, max-age=300')
      .type('application/samlmetadata+xml')
      .send(await services.saml.metadata(row))
  })

  app.post('/v1/saml/acs/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id
    if (!ID.test(id)) return fail(reply, ApiError.of('saml_connection_active_not_found'))
    const parsed = AcsBody.safeParse(req.body ?? {})
    if (!parsed.success) return fail(reply, ApiError.of('saml_response_invalid'))
    try {
      const accepted = await services.saml.accept(
        id,
        parsed.data.SAMLResponse,
        parsed.data.RelayState,
      )
      if ('handOver' in accepted) return handOverRedirect(reply, config, accepted.handOver)
      const to = new URL('/v1/oauth_callback', config.url)
      to.searchParams.set('state', accepted.state)
      return reply.code(303).header('cache-control', 'no-store').header('location', to.href).send()
    } catch (error) {
      if (error instanceof ApiError) return fail(reply, error)
      throw error
    }
  })

  samlHandOverRoutes(app, services, config)
}

const fail = (reply: FastifyReply, error: ApiError) =>
  reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(error.toJSON()))
