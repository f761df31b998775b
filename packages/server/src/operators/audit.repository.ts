import type { AuditEventRow, Database } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

/** An audit event with its actor's primary address now (null: none, or the user is gone). */
export type AuditListRow = AuditEventRow & { actor_email_address: string | null }

export async function insertAuditEvent(db: Q, row: AuditEventRow): Promise<void> {
  await db.insertInto('audit_events').values(row).execute()
}

const filtered = (db: Q, actorId: string | undefined) => {
  const q = db.selectFrom('audit_events as a')
  return actorId === undefined ? q : q.where('a.actor_id', '=', actorId)
}

/** Newest first, by the (created_at, id) or (actor_id, created_at) index. */
export function listAuditEvents(
  db: Q,
  f: { actorId?: string | undefined; limit: number; offset: number },
): Promise<AuditListRow[]> {
  return filtered(db, f.actorId)
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .leftJoin('email_addresses as e', 'e.id', 'u.primary_email_address_id')
    .selectAll('a')
    .select('e.email_address as actor_email_address')
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute()
}

export async function countAuditEvents(db: Q, actorId: string | undefined): Promise<number> {
  const row = await filtered(db, actorId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
