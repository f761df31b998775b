import type { FastifyInstance } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { linkResultPage } from '../hosted/pages.js'
import { html } from '../hosted/respond.js'
import { readClientToken, writeClientToken } from '../http/client-token.js'
import { deviceOf } from '../http/define-route.js'
import type { Services } from '../services.js'

const VerifyQuery = z.object({ token: z.string().min(1).max(256) })

/**
 * `GET /v1/verify?token=` (fapi spec `verify`): the page an email link opens. A top-level
 * navigation from a mail client, so it answers a redirect to the flow's `redirect_url` with
 * Clerk's `__clerk_status` (and `__clerk_created_session`), or a page when there is none. A
 * completed flow's rotated client token is set here: this is the browser that asked.
 */
export function emailLinkRoutes(app: FastifyInstance, services: Services, config: Config): void {
  app.get('/v1/verify', async (req, reply) => {
    const parsed = VerifyQuery.safeParse(req.query ?? {})
    if (!parsed.success) return html(reply, 400, linkResultPage('failed'))
    const token = readClientToken(req, config.url)?.value
    const client = token ? await services.clients.resolve(token) : undefined
    const outcome = await services.verifications.openLink(
      parsed.data.token,
      client?.id,
      deviceOf(req),
    )
    if (outcome.newClientToken) writeClientToken(req, reply, outcome.newClientToken, config.url)
    if (!outcome.redirectUrl) {
      return html(reply, outcome.status === 'verified' ? 200 : 400, linkResultPage(outcome.status))
    }
    const to = new URL(outcome.redirectUrl)
    to.searchParams.set('__clerk_status', outcome.status)
    if (outcome.createdSessionId)
      to.searchParams.set('__clerk_created_session', outcome.createdSessionId)
    return reply.code(303).header('cache-control', 'no-store').header('location', to.href).send()
  })
}
