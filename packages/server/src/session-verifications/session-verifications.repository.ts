import type { Database, SessionVerificationRow, Write } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findOfSession(
  db: Q,
  sessionId: string,
): Promise<SessionVerificationRow | undefined> {
  return db
    .selectFrom('session_verifications')
    .selectAll()
    .where('session_id', '=', sessionId)
    .executeTakeFirst()
}

/** The session's verification, replacing the one before it (one per session). */
export const sessionVerificationReplace =
  (row: SessionVerificationRow): Write =>
  (q) =>
    q
      .insertInto('session_verifications')
      .values(row)
      .onConflict((oc) =>
        oc.column('session_id').doUpdateSet({
          id: row.id,
          level: row.level,
          status: row.status,
          expire_at: row.expire_at,
          created_at: row.created_at,
          updated_at: row.updated_at,
        }),
      )

/**
 * Moves the verification on from `from`, once: of two requests racing with right answers, one
 * moves it (and stamps the session); the other finds it moved.
 */
export const sessionVerificationAdvance =
  (id: string, from: string, to: string, now: number): Write =>
  (q) =>
    q
      .updateTable('session_verifications')
      .set({ status: to, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', from)

/** The session's factor times after a step-up (the token's `fva`). */
export const sessionFactorStamp =
  (sessionId: string, patch: { first_factor_at?: number; second_factor_at?: number }): Write =>
  (q) =>
    q.updateTable('sessions').set(patch).where('id', '=', sessionId)
