import type { Database, DialectName, MailOutboxRow, NewMailOutbox, Write } from '@latchkey/db'
import type { Kysely } from 'kysely'

/** The outbox's row, its numbers as numbers (PostgreSQL's int8 is parsed, SQLite's is one). */
function fromRow(row: MailOutboxRow): MailOutboxRow {
  return {
    ...row,
    attempts: Number(row.attempts),
    next_attempt_at: Number(row.next_attempt_at),
    locked_until: row.locked_until === null ? null : Number(row.locked_until),
    sent_at: row.sent_at === null ? null : Number(row.sent_at),
    created_at: Number(row.created_at),
  }
}

/** The write that queues one message (part of the caller's atomic group). */
export function insertMail(row: NewMailOutbox): Write {
  return (q) => q.insertInto('mail_outbox').values(row)
}

/**
 * Whether any message is due and unclaimed: a read, so an idle poll takes no write lock (on
 * SQLite every UPDATE does, even one that changes nothing).
 */
export async function anyDue(db: Kysely<Database>, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('mail_outbox')
    .select('id')
    .where('status', '=', 'queued')
    .where('next_attempt_at', '<=', now)
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Claims up to `limit` due messages for this process until `leaseUntil`, counting the attempt:
 * one `UPDATE … RETURNING` on both dialects. On PostgreSQL the rows are picked `FOR UPDATE SKIP
 * LOCKED`, so two processes claiming at once take different rows instead of queueing on each
 * other; the conditions are repeated on the updated row, so a row another claim took first (its
 * lease now in the future) is not taken twice. SQLite runs one writer at a time: the statement
 * is the claim.
 */
export async function claimDue(
  db: Kysely<Database>,
  dialect: DialectName,
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<MailOutboxRow[]> {
  // A materialized CTE, run once: as an `IN (subquery)` PostgreSQL may run the pick again for
  // each row, each run skipping the rows this statement already locked, and claim them all.
  const rows = await db
    .with(
      (cte) => cte('picked').materialized(),
      (qb) => {
        const due = qb
          .selectFrom('mail_outbox')
          .select('id')
          .where('status', '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
          .orderBy('next_attempt_at')
          .limit(limit)
        return dialect === 'postgres' ? due.forUpdate().skipLocked() : due
      },
    )
    .updateTable('mail_outbox')
    .set((eb) => ({ locked_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
    .where('status', '=', 'queued')
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .returningAll()
    .execute()
  return rows.map(fromRow)
}

/** A message the relay accepted: the bodies (live codes, links) go, the metadata stays a while. */
export async function markSent(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db
    .updateTable('mail_outbox')
    .set({
      status: 'sent',
      sent_at: now,
      text_sealed: null,
      html_sealed: null,
      locked_until: null,
      last_error: null,
    })
    .where('id', '=', id)
    .execute()
}

/** A failed attempt: the next one is due at `nextAttemptAt`, or, given up, never. */
export async function markFailed(
  db: Kysely<Database>,
  id: string,
  error: string,
  nextAttemptAt: number | undefined,
): Promise<void> {
  const retry = nextAttemptAt !== undefined
  await db
    .updateTable('mail_outbox')
    .set({
      locked_until: null,
      last_error: error.slice(0, 500),
      ...(retry
        ? { next_attempt_at: nextAttemptAt }
        : { status: 'failed', text_sealed: null, html_sealed: null }),
    })
    .where('id', '=', id)
    .execute()
}

/** Drops the rows of messages sent or given up before `before`. */
export async function prune(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db
    .deleteFrom('mail_outbox')
    .where('status', '!=', 'queued')
    .where('created_at', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
