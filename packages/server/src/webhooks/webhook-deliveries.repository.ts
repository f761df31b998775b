import { newId } from '@latchkey/contracts'
import type {
  Database,
  DialectName,
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
  WebhookEventRow,
} from '@latchkey/db'
import type { Kysely } from 'kysely'

type Db = Kysely<Database>

/** A new pending delivery of `eventId` to `endpointId`, due at `now`. */
export function newDelivery(eventId: string, endpointId: string, now: number): WebhookDeliveryRow {
  return {
    id: newId('webhookDelivery'),
    event_id: eventId,
    endpoint_id: endpointId,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    locked_until: null,
    last_status_code: null,
    last_response: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
  }
}

export async function anyUndispatched(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_events')
    .select('id')
    .where('dispatched_at', 'is', null)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Fans up to `limit` undispatched events out, in one transaction: each gets its `dispatched_at`
 * and a delivery per endpoint `targets` picks (the endpoints enabled and subscribed now),
 * together, so an event is fanned out exactly once. On PostgreSQL the events are taken `FOR
 * UPDATE SKIP LOCKED` (the condition repeated on the updated row): two processes fan out
 * different events at once. SQLite has one writer.
 */
export async function fanOut(
  db: Db,
  dialect: DialectName,
  now: number,
  limit: number,
  targets: (event: WebhookEventRow, endpoints: WebhookEndpointRow[]) => WebhookEndpointRow[],
): Promise<{ events: number; deliveries: number }> {
  return db.transaction().execute(async (trx) => {
    // The claim comes first: on SQLite the transaction then holds the write lock from its first
    // statement (a read first would have to upgrade, and fail at once, under another writer).
    // The pick is a materialized CTE, run once: as an `IN (subquery)` PostgreSQL may run it again
    // for each row, each run skipping the rows this statement already locked, and take them all.
    const events = await trx
      .with(
        (cte) => cte('picked').materialized(),
        (qb) => {
          const pick = qb
            .selectFrom('webhook_events')
            .select('id')
            .where('dispatched_at', 'is', null)
            .orderBy('created_at')
            .limit(limit)
          return dialect === 'postgres' ? pick.forUpdate().skipLocked() : pick
        },
      )
      .updateTable('webhook_events')
      .set({ dispatched_at: now })
      .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
      .where('dispatched_at', 'is', null)
      .returningAll()
      .execute()
    if (events.length === 0) return { events: 0, deliveries: 0 }
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('enabled', '=', 1)
      .execute()
    const rows = events.flatMap((e) =>
      targets(e, endpoints).map((ep) => newDelivery(e.id, ep.id, now)),
    )
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + 500))
        .execute()
    return { events: events.length, deliveries: rows.length }
  })
}

/** Whether a delivery is due and unclaimed (a read: an idle poll takes no write lock). */
export async function anyDue(db: Db, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Claims up to `limit` due deliveries until `leaseUntil`, counting the attempt, as the mail
 * outbox does (mail-outbox.repository.ts `claimDue`): `FOR UPDATE SKIP LOCKED` on PostgreSQL,
 * the conditions repeated on the updated row; one writer on SQLite.
 */
export async function claimDue(
  db: Db,
  dialect: DialectName,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<WebhookDeliveryRow[]> {
  return db
    .with(
      (cte) => cte('picked').materialized(),
      (qb) => {
        const q = qb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
          .orderBy('next_attempt_at')
          .limit(limit)
        return dialect === 'postgres' ? q.forUpdate().skipLocked() : q
      },
    )
    .updateTable('webhook_deliveries')
    .set((eb) => ({ locked_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
    .where('status', '=', 'pending')
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .returningAll()
    .execute()
}

export type Outcome = {
  status: 'pending' | 'succeeded' | 'failed'
  nextAttemptAt?: number
  statusCode: number | null
  excerpt: string | null
  error: string | null
  durationMs: number
}

/**
 * Records one attempt of a claimed delivery and its outcome, in one transaction. The update
 * holds only while this claim's lease is the row's: a claim that outlived its lease (another
 * process took the row since) records its attempt but leaves the row to the newer claim.
 */
export async function recordAttempt(
  db: Db,
  row: WebhookDeliveryRow,
  now: number,
  outcome: Outcome,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        id: newId('webhookAttempt'),
        delivery_id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        attempt: row.attempts,
        status_code: outcome.statusCode,
        response_excerpt: outcome.excerpt,
        error: outcome.error,
        duration_ms: Math.round(outcome.durationMs),
        created_at: now,
      })
      .execute()
    let update = trx
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.status,
        locked_until: null,
        last_status_code: outcome.statusCode,
        last_response: outcome.excerpt,
        last_error: outcome.error,
        updated_at: now,
        ...(outcome.nextAttemptAt !== undefined ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.status === 'succeeded' ? { delivered_at: now } : {}),
      })
      .where('id', '=', row.id)
    update =
      row.locked_until === null
        ? update.where('locked_until', 'is', null)
        : update.where('locked_until', '=', row.locked_until)
    await update.execute()
  })
}

export function findEvent(db: Db, id: string): Promise<WebhookEventRow | undefined> {
  return db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertDeliveries(db: Db, rows: WebhookDeliveryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('webhook_deliveries')
      .values(rows.slice(i, i + 500))
      .execute()
}

/** Events created since `since` still held (payload kept), oldest first. */
/**
 * The kept events of the given types (`only`), or of every type but `except`, created since
 * `since`, oldest first, at most `limit`: the limit counts only events the endpoint takes.
 */
export function eventsSince(
  db: Db,
  since: number,
  limit: number,
  types: { only: string[] } | { except: string[] },
): Promise<Pick<WebhookEventRow, 'id' | 'type'>[]> {
  let q = db
    .selectFrom('webhook_events')
    .select(['id', 'type'])
    .where('created_at', '>=', since)
    .where('payload_sealed', 'is not', null)
    .where('type', '!=', 'webhook.test')
  if ('only' in types) {
    if (types.only.length === 0) return Promise.resolve([])
    q = q.where('type', 'in', types.only)
  } else if (types.except.length > 0) q = q.where('type', 'not in', types.except)
  return q.orderBy('created_at').limit(limit).execute()
}

export type DeliveryWithType = WebhookDeliveryRow & { event_type: string }

export function listDeliveries(
  db: Db,
  endpointId: string,
  opts: {
    limit: number
    offset: number
    status?: string | undefined
    eventId?: string | undefined
  },
): Promise<DeliveryWithType[]> {
  let q = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select('e.type as event_type')
    .where('d.endpoint_id', '=', endpointId)
  if (opts.status) q = q.where('d.status', '=', opts.status)
  if (opts.eventId) q = q.where('d.event_id', '=', opts.eventId)
  return q
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(opts.limit)
    .offset(opts.offset)
    .execute()
}

export function attemptsOf(db: Db, deliveryIds: string[]): Promise<WebhookAttemptRow[]> {
  if (deliveryIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('created_at')
    .orderBy('attempt')
    .execute()
}

/** Counts per endpoint and status, and the oldest pending delivery's creation per endpoint. */
export function deliveryCounts(db: Db) {
  return db
    .selectFrom('webhook_deliveries')
    .select((eb) => [
      'endpoint_id',
      'status',
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min('created_at').as('oldest'),
    ])
    .groupBy(['endpoint_id', 'status'])
    .execute()
}

export async function undispatchedStats(db: Db) {
  const row = await db
    .selectFrom('webhook_events')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.min('created_at').as('oldest'),
    ])
    .where('dispatched_at', 'is', null)
    .executeTakeFirstOrThrow()
  return { count: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) }
}

/**
 * Drops what is older than `before`: attempts, finished deliveries, and events no pending
 * delivery still needs. Returns the number of events dropped.
 */
export async function prune(db: Db, before: number): Promise<number> {
  const finished = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '!=', 'pending')
    .where('created_at', '<', before)
  await db.deleteFrom('webhook_attempts').where('delivery_id', 'in', finished).execute()
  await db.deleteFrom('webhook_attempts').where('created_at', '<', before).execute()
  await db
    .deleteFrom('webhook_deliveries')
    .where('status', '!=', 'pending')
    .where('created_at', '<', before)
    .execute()
  const r = await db
    .deleteFrom('webhook_events')
    .where('created_at', '<', before)
    .where('dispatched_at', 'is not', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('webhook_deliveries as d')
            .select('d.id')
            .whereRef('d.event_id', '=', 'webhook_events.id'),
        ),
      ),
    )
    .executeTakeFirst()
  return Number(r.numDeletedRows)
}
