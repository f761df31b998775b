import { performance } from 'node:perf_hooks'
import { fromDbBool, type WebhookDeliveryRow, type WebhookEndpointRow } from '@latchkey/db'
import { DrainLoop } from '../lib/drain-loop.js'
import { passwordWorkInFlight } from '../lib/passwords.js'
import type { ServiceDeps } from '../service-deps.js'
import * as deliveries from './webhook-deliveries.repository.js'
import * as endpoints from './webhook-endpoints.repository.js'
import { postOnce } from './webhook-http.js'
import { activeSecrets, signedHeaders } from './webhook-signing.js'
import { openSecrets, subscribes } from './webhooks.service.js'

/**
 * Svix's retry schedule: after the first attempt (immediately) fails, the next ones wait 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h and 10 h; the eighth failure gives the delivery up.
 */
export const RETRY_DELAYS_MS = [
  5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
] as const
/** An endpoint whose attempts all failed for this long is disabled (Svix: 5 days). */
export const DISABLE_AFTER_MS = 5 * 86_400_000
const POLL_MS = 1_000
/** Events fanned out per transaction; deliveries claimed and sent at once. */
const FAN_OUT_BATCH = 200
const BATCH = 16
/**
 * While people wait on password hashes in this process, deliveries yield to them: a batch is
 * this small and is followed by a pause {@link YIELD_FACTOR} times as long as the event loop was
 * busy during it, so the worker takes about a seventh of the process's time; the backlog waits.
 */
const BATCH_UNDER_LOAD = 8
const YIELD_FACTOR = 6
const MIN_PAUSE_MS = 20
const PRUNE_EVERY_MS = 3_600_000

/**
 * Webhook delivery (issue #19): a worker in every server process. It fans each undispatched
 * event out to the endpoints enabled and subscribed at that moment, then claims due deliveries
 * (leases, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and POSTs each signed envelope. Delivery is at
 * least once with the event's id as `svix-id` on every attempt: a process that dies after the
 * endpoint answered but before recording it sends the delivery again after its lease.
 */
export class WebhookWorker {
  #prunedAt = 0
  readonly #loop: DrainLoop
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#loop = new DrainLoop({
      name: 'webhook worker',
      pollMs: POLL_MS,
      log: deps.log,
      drain: () => this.#drain(),
    })
  }

  /** A claimed delivery is this process's for longer than an attempt can take. */
  get leaseMs(): number {
    return this.d.config.webhookTimeoutMs * 2 + 5_000
  }

  /** Wakes the worker now (after a write that recorded events or deliveries committed). */
  kick(): void {
    this.#loop.kick()
  }

  start(): void {
    this.#loop.start()
  }

  stop(): Promise<void> {
    return this.#loop.stop()
  }

  /** Resolves once this process's worker has nothing due now (tests, the bench). */
  async drained(): Promise<void> {
    const { db, clock } = this.d
    for (;;) {
      if (this.#loop.stopped) throw new Error('the webhook worker is stopped')
      this.kick()
      await new Promise((r) => setTimeout(r, 5))
      while (this.#loop.running) await this.#loop.running
      const busy =
        (await deliveries.anyUndispatched(db)) || (await deliveries.anyDue(db, clock.now()))
      if (!busy && !this.#loop.running) return
    }
  }

  async #drain(): Promise<void> {
    const { db, dialect, clock } = this.d
    for (;;) {
      if (this.#loop.stopped) return
      if (!(await deliveries.anyUndispatched(db))) break
      const done = await deliveries.fanOut(db, dialect, clock.now(), FAN_OUT_BATCH, (e, eps) =>
        eps.filter((ep) => subscribes(ep, e.type)),
      )
      if (done.events < FAN_OUT_BATCH) break
    }
    for (;;) {
      if (this.#loop.stopped) return
      const now = clock.now()
      if (!(await deliveries.anyDue(db, now))) break
      const yielding = passwordWorkInFlight() > 0
      const size = yielding ? BATCH_UNDER_LOAD : BATCH
      const before = performance.eventLoopUtilization()
      const rows = await deliveries.claimDue(db, dialect, now, now + this.leaseMs, size)
      await Promise.all(rows.map((row) => this.#deliver(row)))
      if (rows.length < size) break
      if (yielding) {
        // The event loop's busy time during the batch (not its wall time: on PostgreSQL most
        // of that is waiting on round trips, which costs the cores nothing).
        const busy = performance.eventLoopUtilization(before).active
        const pause = Math.max(MIN_PAUSE_MS, busy * YIELD_FACTOR)
        await new Promise((resolve) => setTimeout(resolve, pause))
      }
    }
    await this.#pruneNowAndThen()
  }

  async #deliver(row: WebhookDeliveryRow): Promise<void> {
    const { db, clock, config } = this.d
    const [event, endpoint] = await Promise.all([
      deliveries.findEvent(db, row.event_id),
      endpoints.findEndpoint(db, row.endpoint_id),
    ])
    const giveUp = (error: string) =>
      deliveries.recordAttempt(db, row, clock.now(), {
        status: 'failed',
        statusCode: null,
        excerpt: null,
        error,
        durationMs: 0,
      })
    if (!event?.payload_sealed) return giveUp('the event is no longer kept (retention)')
    if (!endpoint) return giveUp('the endpoint was deleted')
    if (!fromDbBool(endpoint.enabled)) return giveUp('the endpoint is disabled')
    const now = clock.now()
    const body = JSON.stringify(this.d.services.webhookEvents.open(event.id, event.payload_sealed))
    const secrets = activeSecrets(openSecrets(this.d.box, endpoint), now)
    const started = performance.now()
    let outcome: deliveries.Outcome
    try {
      const res = await postOnce({
        url: new URL(endpoint.url),
        headers: signedHeaders(event.id, now, body, secrets),
        body,
        timeoutMs: config.webhookTimeoutMs,
        policy: config.outboundAllowPrivate,
      })
      const ok = res.status >= 200 && res.status < 300
      outcome = {
        ...this.#next(row, ok),
        statusCode: res.status,
        excerpt: res.excerpt,
        error: ok ? null : `HTTP ${res.status}`,
        durationMs: performance.now() - started,
      }
    } catch (error) {
      outcome = {
        ...this.#next(row, false),
        statusCode: null,
        excerpt: null,
        error: (error instanceof Error ? error.message : String(error)).slice(0, 500),
        durationMs: performance.now() - started,
      }
    }
    const at = clock.now()
    await deliveries.recordAttempt(db, row, at, outcome)
    if (outcome.status === 'succeeded') {
      await endpoints.markHealthy(db, endpoint.id)
      return
    }
    await this.#failed(endpoint, row, outcome, at)
  }

  #next(
    row: WebhookDeliveryRow,
    ok: boolean,
  ): Pick<deliveries.Outcome, 'status' | 'nextAttemptAt'> {
    if (ok) return { status: 'succeeded' }
    const wait = RETRY_DELAYS_MS[row.attempts - 1]
    if (wait === undefined) return { status: 'failed' }
    return { status: 'pending', nextAttemptAt: this.d.clock.now() + wait }
  }

  async #failed(
    endpoint: WebhookEndpointRow,
    row: WebhookDeliveryRow,
    outcome: deliveries.Outcome,
    now: number,
  ): Promise<void> {
    const since = endpoint.failing_since ?? now
    const disable = now - since >= DISABLE_AFTER_MS
    await endpoints.markFailing(this.d.db, endpoint.id, now, disable)
    const fields = {
      webhook_endpoint: endpoint.id,
      delivery: row.id,
      event: row.event_id,
      attempt: row.attempts,
      status_code: outcome.statusCode,
      err: outcome.error,
      next_attempt_at: outcome.nextAttemptAt,
    }
    if (disable)
      this.d.log.error(fields, 'webhook endpoint disabled: every attempt failed for 5 days')
    else if (outcome.status === 'failed')
      this.d.log.error(fields, 'webhook delivery given up after its last attempt')
    else this.d.log.warn(fields, 'webhook delivery failed: will retry')
  }

  async #pruneNowAndThen(): Promise<void> {
    const now = this.d.clock.now()
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return
    this.#prunedAt = now
    const dropped = await deliveries.prune(this.d.db, now - this.d.config.webhookRetentionMs)
    if (dropped > 0) this.d.log.info({ events: dropped }, 'webhook events pruned')
  }
}
