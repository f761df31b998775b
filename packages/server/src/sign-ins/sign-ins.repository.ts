import { type Database, named, type SignInRow } from '@latchkey/db'
import type { Kysely, Transaction, Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findSignIn(db: Q, id: string): Promise<SignInRow | undefined> {
  return db.selectFrom('sign_ins').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertSignIn(db: Q, row: SignInRow): Promise<void> {
  await named(db, db.insertInto('sign_ins').values(row))
}

export async function updateSignIn(
  db: Q,
  id: string,
  patch: Updateable<Database['sign_ins']>,
): Promise<void> {
  await db.updateTable('sign_ins').set(patch).where('id', '=', id).execute()
}
