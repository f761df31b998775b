import { ApiError, newId } from '@latchkey/contracts'
import { fromDbBool, toDbBool, type WebhookEndpointRow } from '@latchkey/db'
import type { SecretBox } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import { AddressRefusedError, parseEndpointUrl, resolveChecked } from './endpoint-address.js'
import * as deliveries from './webhook-deliveries.repository.js'
import * as repo from './webhook-endpoints.repository.js'
import type { WebhookEventType } from './webhook-events.js'
import { type EndpointSecret, newSecret } from './webhook-signing.js'

/** How long a rotated-out secret still signs (Svix: 24 hours). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000
/** The type of the event `POST …/test` sends: to that endpoint only, whatever its filter. */
export const TEST_EVENT_TYPE = 'webhook.test'
/** Events one `replay { since }` resends at most. */
const REPLAY_LIMIT = 10_000

export type EndpointInput = {
  url?: string | undefined
  description?: string | undefined
  eventTypes?: readonly WebhookEventType[] | null | undefined
  enabled?: boolean | undefined
}

const aad = (id: string) => `webhook_endpoints:${id}`

/** The endpoint's signing secrets, current first. */
export function openSecrets(box: SecretBox, row: WebhookEndpointRow): EndpointSecret[] {
  return JSON.parse(box.open(row.secrets_sealed, aad(row.id))) as EndpointSecret[]
}

/** Whether the endpoint takes events of `type` (no filter: every type). */
export function subscribes(row: WebhookEndpointRow, type: string): boolean {
  const types = subscribedTypes(row)
  return 'only' in types ? types.only.includes(type) : !types.except.includes(type)
}

/** The types an endpoint takes: the ones it names, or every type but those it must name. */
export function subscribedTypes(
  row: WebhookEndpointRow,
): { only: string[] } | { except: string[] } {
  // `email.created` carries live sign-in codes and links: only to an endpoint that names it,
  // never to a catch-all receiver (a logger, an automation tool) by default.
  if (row.event_types === null) return { except: ['email.created'] }
  return { only: JSON.parse(row.event_types) as string[] }
}

/** An endpoint as the Backend API shows it; its secrets only through `…/secret`. */
export function endpointJSON(row: WebhookEndpointRow) {
  return {
    object: 'webhook_endpoint' as const,
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types === null ? null : (JSON.parse(row.event_types) as string[]),
    enabled: fromDbBool(row.enabled),
    disabled_reason: row.disabled_reason,
    failing_since: row.failing_since === null ? null : Number(row.failing_since),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  }
}

const invalidUrl = (why: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `url ${why}.`,
    meta: { param_name: 'url' },
  })

/**
 * Webhook endpoints (issue #19), managed through the Backend API and the CLI: URL (checked
 * against server-side request forgery), event filter, switch, signing secrets with rotation;
 * their deliveries and attempts; replay and test events; lag and failure counts.
 */
export class WebhooksService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  list(): Promise<WebhookEndpointRow[]> {
    return repo.listEndpoints(this.d.db)
  }

  async get(id: string): Promise<WebhookEndpointRow> {
    const row = await repo.findEndpoint(this.d.db, id)
    if (!row) throw ApiError.of('resource_not_found', { longMessage: `No webhook endpoint ${id}.` })
    return row
  }

  /** Creates an endpoint and returns it with its first secret (shown this once). */
  async create(input: EndpointInput): Promise<{ row: WebhookEndpointRow; secret: string }> {
    if (!input.url) throw ApiError.of('form_param_missing', { meta: { param_name: 'url' } })
    const url = await this.#checkUrl(input.url)
    const now = this.d.clock.now()
    const id = newId('webhookEndpoint')
    const secret = newSecret()
    const row: WebhookEndpointRow = {
      id,
      url,
      description: input.description ?? '',
      event_types: filterOf(input.eventTypes),
      enabled: toDbBool(input.enabled ?? true),
      secrets_sealed: this.#seal(id, [{ secret, expires_at: null }]),
      failing_since: null,
      disabled_reason: null,
      created_at: now,
      updated_at: now,
    }
    await repo.insertEndpoint(this.d.db, row)
    return { row, secret }
  }

  async update(id: string, input: EndpointInput): Promise<WebhookEndpointRow> {
    const row = await this.get(id)
    const enabling = input.enabled === true && !fromDbBool(row.enabled)
    const next: WebhookEndpointRow = {
      ...row,
      ...(input.url !== undefined ? { url: await this.#checkUrl(input.url) } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.eventTypes !== undefined ? { event_types: filterOf(input.eventTypes) } : {}),
      ...(input.enabled !== undefined ? { enabled: toDbBool(input.enabled) } : {}),
      // Enabled again by the operator: a fresh start, no run of failures.
      ...(enabling ? { failing_since: null, disabled_reason: null } : {}),
      updated_at: Math.max(this.d.clock.now(), Number(row.updated_at) + 1),
    }
    const { id: _, created_at: __, ...patch } = next
    await repo.updateEndpoint(this.d.db, id, patch)
    return next
  }

  async delete(id: string): Promise<void> {
    if (!(await repo.deleteEndpoint(this.d.db, id)))
      throw ApiError.of('resource_not_found', { longMessage: `No webhook endpoint ${id}.` })
  }

  /** The secret that signs now (what a receiver configures). */
  async secret(id: string): Promise<string> {
    const [current] = openSecrets(this.d.box, await this.get(id))
    if (!current) throw new Error('a webhook endpoint without a secret')
    return current.secret
  }

  /**
   * A new current secret, returned this once. The previous one keeps signing beside it for
   * {@link ROTATION_OVERLAP_MS} (every delivery carries both signatures), so receivers can move
   * to the new secret without dropping a delivery; older ones already retiring keep their time.
   */
  async rotateSecret(id: string): Promise<{ row: WebhookEndpointRow; secret: string }> {
    const row = await this.get(id)
    const now = this.d.clock.now()
    const kept = openSecrets(this.d.box, row)
      .filter((s) => s.expires_at === null || s.expires_at > now)
      .map((s) => ({ ...s, expires_at: s.expires_at ?? now + ROTATION_OVERLAP_MS }))
    const secret = newSecret()
    const next = {
      ...row,
      secrets_sealed: this.#seal(id, [{ secret, expires_at: null }, ...kept]),
      updated_at: Math.max(now, Number(row.updated_at) + 1),
    }
    await repo.updateEndpoint(this.d.db, id, {
      secrets_sealed: next.secrets_sealed,
      updated_at: next.updated_at,
    })
    return { row: next, secret }
  }

  /** Records a `webhook.test` event and its one delivery, to this endpoint only. */
  async sendTest(id: string): Promise<{ eventId: string; deliveryId: string }> {
    const endpoint = await this.get(id)
    const now = this.d.clock.now()
    const eventId = newId('webhookEvent')
    const envelope = {
      data: { object: 'webhook_test', endpoint_id: endpoint.id, message: 'A test event.' },
      object: 'event',
      type: TEST_EVENT_TYPE,
      timestamp: now,
      instance_id: this.d.services.instance.id,
      event_attributes: { http_request: { client_ip: '', user_agent: '' } },
    }
    const delivery = deliveries.newDelivery(eventId, endpoint.id, now)
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_events')
        .values({
          id: eventId,
          type: TEST_EVENT_TYPE,
          payload_sealed: this.d.box.seal(JSON.stringify(envelope), `webhook_events:${eventId}`),
          created_at: now,
          dispatched_at: now,
        })
        .execute()
      await trx.insertInto('webhook_deliveries').values(delivery).execute()
    })
    this.d.services.webhookWorker.kick()
    return { eventId, deliveryId: delivery.id }
  }

  /**
   * Sends events again to one endpoint, each as a new delivery with the event's own `svix-id`:
   * one event by id (whatever the endpoint's filter: the operator named it), or every event the
   * endpoint subscribes to since a time. Returns how many deliveries were queued.
   */
  async replay(id: string, what: { eventId?: string; since?: number }): Promise<number> {
    const endpoint = await this.get(id)
    const now = this.d.clock.now()
    let events: { id: string }[]
    if (what.eventId !== undefined) {
      const event = await deliveries.findEvent(this.d.db, what.eventId)
      if (!event?.payload_sealed)
        throw ApiError.of('resource_not_found', {
          longMessage: `No webhook message ${what.eventId} is kept.`,
          meta: { param_name: 'event_id' },
        })
      events = [event]
    } else {
      const since = what.since ?? now
      events = await deliveries.eventsSince(
        this.d.db,
        since,
        REPLAY_LIMIT,
        subscribedTypes(endpoint),
      )
    }
    await deliveries.insertDeliveries(
      this.d.db,
      events.map((e) => deliveries.newDelivery(e.id, endpoint.id, now)),
    )
    this.d.services.webhookWorker.kick()
    return events.length
  }

  /** The endpoint's deliveries, newest first, each with its attempts. */
  async deliveries(
    id: string,
    opts: {
      limit: number
      offset: number
      status?: string | undefined
      eventId?: string | undefined
    },
  ) {
    await this.get(id)
    const rows = await deliveries.listDeliveries(this.d.db, id, opts)
    const attempts = await deliveries.attemptsOf(
      this.d.db,
      rows.map((r) => r.id),
    )
    return rows.map((r) => ({
      object: 'webhook_delivery' as const,
      id: r.id,
      event_id: r.event_id,
      event_type: r.event_type,
      endpoint_id: r.endpoint_id,
      status: r.status,
      attempts: Number(r.attempts),
      next_attempt_at: r.status === 'pending' ? Number(r.next_attempt_at) : null,
      last_status_code: r.last_status_code,
      last_response: r.last_response,
      last_error: r.last_error,
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
      delivered_at: r.delivered_at === null ? null : Number(r.delivered_at),
      attempt_log: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({
          attempt: Number(a.attempt),
          status_code: a.status_code,
          response_excerpt: a.response_excerpt,
          error: a.error,
          duration_ms: Number(a.duration_ms),
          created_at: Number(a.created_at),
        })),
    }))
  }

  /** Lag and failure counts: the outbox's oldest undispatched event, pending and failed per endpoint. */
  async stats() {
    const now = this.d.clock.now()
    const [undispatched, counts, eps] = await Promise.all([
      deliveries.undispatchedStats(this.d.db),
      deliveries.deliveryCounts(this.d.db),
      this.list(),
    ])
    const per = (endpointId: string, status: string) =>
      counts.find((c) => c.endpoint_id === endpointId && c.status === status)
    const age = (oldest: unknown) =>
      oldest === null || oldest === undefined ? null : Math.max(0, now - Number(oldest))
    const total = (status: string) =>
      counts.filter((c) => c.status === status).reduce((n, c) => n + Number(c.n), 0)
    const pendingOldest = counts
      .filter((c) => c.status === 'pending' && c.oldest !== null)
      .map((c) => Number(c.oldest))
    return {
      object: 'webhook_stats' as const,
      undispatched_events: undispatched.count,
      oldest_undispatched_age_ms: age(undispatched.oldest),
      pending_deliveries: total('pending'),
      failed_deliveries: total('failed'),
      succeeded_deliveries: total('succeeded'),
      oldest_pending_age_ms: pendingOldest.length ? age(Math.min(...pendingOldest)) : null,
      endpoints: eps.map((ep) => ({
        endpoint_id: ep.id,
        url: ep.url,
        enabled: fromDbBool(ep.enabled),
        failing_since: ep.failing_since === null ? null : Number(ep.failing_since),
        pending: Number(per(ep.id, 'pending')?.n ?? 0),
        failed: Number(per(ep.id, 'failed')?.n ?? 0),
        succeeded: Number(per(ep.id, 'succeeded')?.n ?? 0),
        oldest_pending_age_ms: age(per(ep.id, 'pending')?.oldest),
      })),
    }
  }

  #seal(id: string, secrets: EndpointSecret[]): string {
    return this.d.box.seal(JSON.stringify(secrets), aad(id))
  }

  /**
   * The URL if it may be an endpoint: http(s), no credentials, and no address the policy refuses,
   * whether written as an IP or resolved from its name now. A name that does not resolve yet is
   * accepted (delivery checks again, every time).
   */
  async #checkUrl(raw: string): Promise<string> {
    const policy = this.d.config.outboundAllowPrivate
    const url = parseEndpointUrl(raw, policy)
    if (typeof url === 'string') throw invalidUrl(url)
    try {
      await resolveChecked(url.hostname, policy)
    } catch (error) {
      if (error instanceof AddressRefusedError) throw invalidUrl(`is refused: ${error.message}`)
    }
    return url.toString()
  }
}

function filterOf(types: readonly string[] | null | undefined): string | null {
  if (!types || types.length === 0) return null
  return JSON.stringify([...new Set(types)].sort())
}
