import type { BackupCodeRow, Database, TotpSecretRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findTotp(db: Q, userId: string): Promise<TotpSecretRow | undefined> {
  return db.selectFrom('totp_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst()
}

/** Drops an unverified secret (a new `POST /v1/me/totp` replaces it); a verified one stays. */
export async function deleteUnverifiedTotp(db: Q, userId: string): Promise<void> {
  await db
    .deleteFrom('totp_secrets')
    .where('user_id', '=', userId)
    .where('verified', '=', 0)
    .execute()
}

export async function insertTotp(db: Q, row: TotpSecretRow): Promise<void> {
  await db.insertInto('totp_secrets').values(row).execute()
}

/**
 * Marks the secret verified, once: false when another request did it first. The enrolment code's
 * step counts as used, so the same code cannot also pass a sign-in.
 */
export async function markTotpVerified(db: Q, id: string, step: number, now: number) {
  const r = await db
    .updateTable('totp_secrets')
    .set({ verified: 1, last_used_step: step, updated_at: now })
    .where('id', '=', id)
    .where('verified', '=', 0)
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

/**
 * Claims a time step for a sign-in: only a step later than the last one accepted, so a code (and
 * any earlier code) is accepted once, even by two requests racing with it.
 */
export async function claimTotpStep(db: Q, userId: string, step: number, now: number) {
  const r = await db
    .updateTable('totp_secrets')
    .set({ last_used_step: step, updated_at: now })
    .where('user_id', '=', userId)
    .where('verified', '=', 1)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

export async function deleteTotp(db: Q, userId: string): Promise<boolean> {
  const r = await db.deleteFrom('totp_secrets').where('user_id', '=', userId).executeTakeFirst()
  return r.numDeletedRows > 0n
}

export async function countUnusedBackupCodes(db: Q, userId: string): Promise<number> {
  const r = await db
    .selectFrom('backup_codes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

export async function insertBackupCodes(db: Q, rows: BackupCodeRow[]): Promise<void> {
  await db.insertInto('backup_codes').values(rows).execute()
}

export async function deleteBackupCodes(db: Q, userId: string): Promise<void> {
  await db.deleteFrom('backup_codes').where('user_id', '=', userId).execute()
}

/** Uses an unused code, once: false when it is unknown, used, or another request used it first. */
export async function claimBackupCode(db: Q, userId: string, hash: string, now: number) {
  const r = await db
    .updateTable('backup_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

/** The user's second-factor flags (on `users`, so the change feed announces them). */
export async function setUserFactors(
  db: Q,
  userId: string,
  flags: { totp_enabled?: number; backup_code_enabled?: number },
  now: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...flags, updated_at: now })
    .where('id', '=', userId)
    .execute()
}
