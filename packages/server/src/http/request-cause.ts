import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyInstance } from 'fastify'
import type { EventCause } from '../webhooks/webhook-events.js'

/**
 * The device of the HTTP request being served (client IP and User-Agent, as `deviceOf` reads
 * them), for what the request causes deep inside the services: the webhook outbox records it as
 * Clerk's `event_attributes.http_request`. The CLI and the server's own jobs run outside any
 * request and read none.
 */
const current = new AsyncLocalStorage<EventCause>()

/** The cause of the request in progress, or none outside a request. */
export function requestCause(): EventCause {
  return current.getStore() ?? {}
}

/**
 * Serves every request inside its cause. Entered at `preValidation` (after the body is read, as
 * `@fastify/request-context` does), so every route — APIs, hosted pages, links — runs inside it.
 */
export function trackRequestCause(app: FastifyInstance): void {
  app.addHook('preValidation', (req, _reply, done) => {
    const userAgent = req.headers['user-agent']
    current.run(
      { ipAddress: req.ip, userAgent: typeof userAgent === 'string' ? userAgent : undefined },
      done,
    )
  })
}
