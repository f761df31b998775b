import type { Database } from '@latchkey/db'
import { type Kysely, sql, type Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export const DAY_MS = 86_400_000

/** The UTC day number of a timestamp, in SQL (integer division on both dialects). */
const dayOf = sql<number>`created_at / ${sql.lit(DAY_MS)}`

/**
 * Rows created per UTC day since `from`: a range scan of the table's `created_at` index
 * (`users_created_at_idx`, `sessions_created_at_idx`), whatever the table's size.
 */
export async function createdPerDay(
  db: Q,
  table: 'users' | 'sessions',
  from: number,
): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom(table)
    .select((eb) => [dayOf.as('day'), eb.fn.countAll<number | string>().as('n')])
    .where('created_at', '>=', from)
    .groupBy(dayOf)
    .execute()
  return new Map(rows.map((r) => [Number(r.day), Number(r.n)]))
}

export async function countUsers(db: Q): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Sessions still active now, by `sessions_status_idx`. */
export async function countActiveSessions(db: Q, now: number): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'active')
    .where('expire_at', '>', now)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
