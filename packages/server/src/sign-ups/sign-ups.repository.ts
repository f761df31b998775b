import type { Database, SignUpRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findSignUp(db: Q, id: string): Promise<SignUpRow | undefined> {
  return db.selectFrom('sign_ups').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertSignUp(db: Q, row: SignUpRow): Promise<void> {
  await db.insertInto('sign_ups').values(row).execute()
}
