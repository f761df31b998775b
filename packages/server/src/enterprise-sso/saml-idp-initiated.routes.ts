import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { readClientToken, writeClientToken } from '../http/client-token.js'
import { deviceOf } from '../http/define-route.js'
import type { Services } from '../services.js'
import { HANDOVER_TTL_MS, type HandOver } from './saml-idp-initiated.js'

/** Where the ACS sends the browser with an IdP-initiated response's one-time token. */
export const HANDOVER_PATH = '/v1/saml/idp_initiated'

const HandOverQuery = z.object({ token: z.string().min(1).max(512) })

/**
 * The cookie binding a hand-over to the browser the IdP posted through. Over https the
 * `__Host-` prefix: host-only, `Secure`, path `/`, so no sibling subdomain can plant one.
 */
const bindingCookie = (publicUrl: string) =>
  publicUrl.startsWith('https:') ? '__Host-latchkey_saml_handover' : 'latchkey_saml_handover'

/**
 * The ACS's answer to an IdP-initiated response: a 303 to {@link HANDOVER_PATH} with the token,
 * and the binding secret as a `SameSite=Lax` cookie. A cookie set on the response to a
 * cross-site top-level POST is kept, and the redirected top-level GET carries it (and the
 * `__client` cookie), which a cross-site POST does not.
 */
export function handOverRedirect(reply: FastifyReply, config: Config, handOver: HandOver) {
  const to = new URL(HANDOVER_PATH, config.url)
  to.searchParams.set('token', handOver.token)
  reply.setCookie(bindingCookie(config.url), handOver.binding, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.url.startsWith('https:'),
    maxAge: HANDOVER_TTL_MS / 1000,
  })
  return reply.code(303).header('cache-control', 'no-store').header('location', to.href).send()
}

/**
 * `GET /v1/saml/idp_initiated?token=…` (a Latchkey addition; Clerk has no public path for it):
 * completes an IdP-initiated SAML sign-in in the browser the ACS handed it to (its binding
 * cookie), on its client (its `__client` cookie, or a new client), then redirects to the app's
 * after-sign-in URL (or the allowed RelayState). A missing, used, expired or foreign token gets
 * Clerk's error as JSON and signs nobody in.
 */
export function samlHandOverRoutes(app: FastifyInstance, services: Services, config: Config): void {
  app.get(HANDOVER_PATH, async (req, reply) => {
    const parsed = HandOverQuery.safeParse(req.query ?? {})
    if (!parsed.success) return fail(reply, ApiError.of('verification_missing'))
    const cookie = bindingCookie(config.url)
    const binding = req.cookies[cookie]
    // The binding is good for one attempt, whatever its outcome.
    // `__Host-` cookies are cleared only by a Secure, path-`/` Set-Cookie.
    if (binding)
      reply.clearCookie(cookie, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: config.url.startsWith('https:'),
      })
    try {
      const clientId = await clientOf(req, services, config)
      const done = await services.saml.handOver.complete(
        parsed.data.token,
        binding,
        clientId,
        deviceOf(req),
      )
      if (done.newClientToken) writeClientToken(req, reply, done.newClientToken, config.url)
      return reply
        .code(303)
        .header('cache-control', 'no-store')
        .header('location', done.location)
        .send()
    } catch (error) {
      if (error instanceof ApiError) return fail(reply, error)
      throw error
    }
  })
}

async function clientOf(req: FastifyRequest, services: Services, config: Config) {
  const token = readClientToken(req, config.url)
  if (token?.source !== 'cookie') return undefined
  return (await services.clients.resolve(token.value))?.id
}

const fail = (reply: FastifyReply, error: ApiError) =>
  reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(error.toJSON()))
