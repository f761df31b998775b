import type { Database, SigningKeyRow } from '@latchkey/db'
import type { Insertable, Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function listPublishedKeys(db: Q, purpose: string): Promise<SigningKeyRow[]> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('status', 'in', ['active', 'published'])
    .orderBy('created_at')
    .execute()
}

export function findActiveKey(
  db: Q,
  alg: string,
  purpose: string,
): Promise<SigningKeyRow | undefined> {
  return db
    .selectFrom('signing_keys')
    .selectAll()
    .where('purpose', '=', purpose)
    .where('status', '=', 'active')
    .where('alg', '=', alg)
    .orderBy('created_at', 'desc')
    .executeTakeFirst()
}

export async function insertKey(db: Q, row: Insertable<Database['signing_keys']>): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute()
}

/**
 * Inserts an active OAuth key unless one exists: of processes racing to create it, the unique
 * index (migration 0007) lets one win and the others insert nothing.
 */
export async function insertOAuthKeyIfNone(
  db: Q,
  row: Insertable<Database['signing_keys']>,
): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ ...row, purpose: 'oauth', status: 'active' })
    .onConflict((oc) => oc.doNothing())
    .execute()
}
