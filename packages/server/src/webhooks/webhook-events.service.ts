import { newId } from '@latchkey/contracts'
import type { Write } from '@latchkey/db'
import { requestCause } from '../http/request-cause.js'
import type { ServiceDeps } from '../service-deps.js'
import type { EventCause, WebhookEnvelope, WebhookEventType } from './webhook-events.js'
import * as repo from './webhook-events.repository.js'

/**
 * The webhook outbox (issue #19). `event` returns the write that records one event, for the
 * caller's `writeAtomically` group: the event exists exactly when the change that caused it
 * committed. Delivery (fan-out to endpoints, signing, retries) reads these rows afterwards.
 */
export class WebhookEventsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * The write recording `type` with `data` (the Backend API resource after the change), caused by
   * `cause`: the request's device, by default that of the HTTP request being served
   * (http/request-cause.ts); none for the CLI and the server's own jobs.
   */
  event(type: WebhookEventType, data: unknown, cause: EventCause = requestCause()): Write {
    const id = newId('webhookEvent')
    const now = this.d.clock.now()
    const envelope: WebhookEnvelope = {
      data,
      object: 'event',
      type,
      timestamp: now,
      instance_id: this.d.services.instance.id,
      event_attributes: {
        http_request: { client_ip: cause.ipAddress ?? '', user_agent: cause.userAgent ?? '' },
      },
    }
    return repo.insertEvent({
      id,
      type,
      payload_sealed: this.d.box.seal(JSON.stringify(envelope), `webhook_events:${id}`),
      created_at: now,
      dispatched_at: null,
    })
  }

  /** The envelope of a stored event (for the delivery worker). */
  open(id: string, sealed: string): WebhookEnvelope {
    return JSON.parse(this.d.box.open(sealed, `webhook_events:${id}`)) as WebhookEnvelope
  }
}
