import type { SessionRow, Write } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { sessionToJSON } from './sessions.mapper.js'

export type SessionEventType =
  | 'session.created'
  | 'session.ended'
  | 'session.removed'
  | 'session.revoked'

/**
 * A session's webhook event (issue #19), for every route that starts or ends one: `data` is the
 * Backend API's session (`GET /v1/sessions/{id}`) as the change leaves it, rendered from the
 * row in memory, so it can be one more write of the change's own group.
 */
export function sessionEvent(d: ServiceDeps, type: SessionEventType, s: SessionRow): Write {
  return d.services.webhookEvents.event(type, sessionToJSON(s, d.clock.now()))
}
