import type { Database, SigningKeyRow } from '@latchkey/db'
import type { Insertable, Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function listPublishedKeys(db: Q): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('status', 'in', ['active', 'published'])
    .orderBy('created_at')
    .execute()
}

export function findActiveKey(db: Q, alg: string): Promise<SigningKeyRow | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('status', '=', 'active')
    .where('alg', '=', alg)
    .orderBy('created_at', 'desc')
    .executeTakeFirst()
}

export async function insertKey(db: Q, row: Insertable<Database['signing_keys']>): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute()
}
