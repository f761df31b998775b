import type { Database, PasskeyRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

/** A user's verified passkeys, oldest first (the user resource's `passkeys`). */
export function listForUsers(db: Q, userIds: string[]): Promise<PasskeyRow[]> {
  if (userIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('passkeys')
    .selectAll()
    .where('user_id', 'in', userIds)
    .where('verified', '=', 1)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

export function findPasskey(db: Q, id: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findByCredential(db: Q, credentialId: string): Promise<PasskeyRow | undefined> {
  return db
    .selectFrom('passkeys')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .where('verified', '=', 1)
    .executeTakeFirst()
}

export async function insertPasskey(db: Q, row: PasskeyRow): Promise<void> {
  await db.insertInto('passkeys').values(row).execute()
}

/** Drops the user's unfinished passkeys (a new `POST /v1/me/passkeys` replaces them). */
export async function deleteUnverified(db: Q, userId: string): Promise<void> {
  await db.deleteFrom('passkeys').where('user_id', '=', userId).where('verified', '=', 0).execute()
}

/** Fills in the credential, once: false when the passkey was verified (or removed) meanwhile. */
export async function markVerified(
  db: Q,
  id: string,
  credential: Pick<
    PasskeyRow,
    'credential_id' | 'public_key' | 'counter' | 'transports' | 'backed_up' | 'device_type'
  >,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('passkeys')
    .set({ ...credential, verified: 1, updated_at: now })
    .where('id', '=', id)
    .where('verified', '=', 0)
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

/**
 * Records a sign-in's signature counter, only forward: of two assertions racing with the same
 * counter (a cloned authenticator, a replay) one wins. A counter that stays 0 is an
 * authenticator that keeps none (synced passkeys), which WebAuthn §6.1.1 allows.
 */
export async function recordUse(
  db: Q,
  id: string,
  counter: number,
  flags: { backed_up: number },
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('passkeys')
    .set({ counter, ...flags, last_used_at: now, updated_at: now })
    .where('id', '=', id)
    .where('verified', '=', 1)
    .where((eb) => (counter === 0 ? eb('counter', '=', 0) : eb('counter', '<', counter)))
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

export async function rename(db: Q, id: string, name: string, now: number): Promise<void> {
  await db.updateTable('passkeys').set({ name, updated_at: now }).where('id', '=', id).execute()
}

export async function deletePasskey(db: Q, id: string): Promise<boolean> {
  const r = await db.deleteFrom('passkeys').where('id', '=', id).executeTakeFirst()
  return r.numDeletedRows > 0n
}

/** Stamps the user, so the change feed drops cached renderings that list the passkeys. */
export async function touchUser(db: Q, userId: string, now: number): Promise<void> {
  await db.updateTable('users').set({ updated_at: now }).where('id', '=', userId).execute()
}
