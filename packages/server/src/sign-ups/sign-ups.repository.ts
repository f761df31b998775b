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

/** A pending sign-up, completed: one write of a group. */
export const signUpComplete =
  (row: SignUpRow): Write =>
  (q) =>
    q
      .updateTable('sign_ups')
      .set({
        status: row.status,
        client_id: row.client_id,
        email_address: row.email_address,
        first_name: row.first_name,
        last_name: row.last_name,
        created_user_id: row.created_user_id,
        created_session_id: row.created_session_id,
        password_digest: null,
        password_hasher: null,
        updated_at: row.updated_at,
      })
      .where('id', '=', row.id)

/** The address a sign-up the provider left short was given (`PATCH`, issue #18). */
export const signUpEmailSet =
  (id: string, emailAddress: string, now: number): Write =>
  (q) =>
    q
      .updateTable('sign_ups')
      .set({ email_address: emailAddress, updated_at: now })
      .where('id', '=', id)
