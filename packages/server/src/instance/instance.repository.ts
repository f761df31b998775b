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

export async function insertApiKey(
  db: Q,
  row: { id: string; secret_hash: string; created_at: number },
) {
  await db.insertInto('api_keys').values(row).execute()
}

export async function apiKeyExists(db: Q, hash: string): Promise<boolean> {
  const row = await db
    .selectFrom('api_keys')
    .select('id')
    .where('secret_hash', '=', hash)
    .executeTakeFirst()
  return row !== undefined
}

/** One round trip to the database: readiness. */
export async function ping(db: Q): Promise<void> {
  await sql`select 1`.execute(db)
}
