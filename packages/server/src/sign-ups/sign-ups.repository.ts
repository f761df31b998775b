import type { Database, SignUpRow, Write } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findSignUp(db: Q, id: string): Promise<SignUpRow | undefined> {
  return db.selectFrom('sign_ups').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A completed sign-up, as one write of a group (`writeAtomically`). */
export const signUpInsert =
  (row: SignUpRow): Write =>
  (q) =>
    q.insertInto('sign_ups').values(row)
