import type { Database, SignInRow, Write } from '@latchkey/db'
import type { Kysely, Transaction, Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findSignIn(db: Q, id: string): Promise<SignInRow | undefined> {
  return db.selectFrom('sign_ins').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A new sign-in attempt, as one write of a group (`writeAtomically`). */
export const signInInsert =
  (row: SignInRow): Write =>
  (q) =>
    q.insertInto('sign_ins').values(row)

/** A sign-in attempt's patch, as one write of a group. */
export const signInUpdate =
  (id: string, patch: Updateable<Database['sign_ins']>): Write =>
  (q) =>
    q.updateTable('sign_ins').set(patch).where('id', '=', id)
