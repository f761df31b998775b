import type { Database } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

/** A stored secret key, without its hash. */
export type SecretKeyInfo = {
  id: string
  prefix: string | null
  label: string | null
  created_at: number
}

export async function insertApiKey(
  db: Q,
  row: {
    id: string
    secret_hash: string
    prefix: string
    label: string | null
    created_at: number
  },
): Promise<void> {
  await db.insertInto('api_keys').values(row).execute()
}

export function findApiKeyByHash(db: Q, hash: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('api_keys').select('id').where('secret_hash', '=', hash).executeTakeFirst()
}

export function listApiKeys(db: Q): Promise<SecretKeyInfo[]> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'label', 'created_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Deletes a key; whether it existed. */
export async function deleteApiKey(db: Q, id: string): Promise<boolean> {
  const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}
