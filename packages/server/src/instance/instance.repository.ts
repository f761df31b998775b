import type { Database, InstanceRow } from '@latchkey/db'
import { type Kysely, sql, type Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findInstance(db: Q): Promise<InstanceRow | undefined> {
  return db.selectFrom('instances').selectAll().where('singleton', '=', 1).executeTakeFirst()
}

export async function insertInstance(db: Q, row: InstanceRow): Promise<void> {
  await db.insertInto('instances').values(row).execute()
}

export async function updateInstanceSettings(db: Q, settings: string, now: number): Promise<void> {
  await db
    .updateTable('instances')
    .set({ settings, updated_at: now })
    .where('singleton', '=', 1)
    .execute()
}

/** One round trip to the database: readiness. */
export async function ping(db: Q): Promise<void> {
  await sql`select 1`.execute(db)
}
