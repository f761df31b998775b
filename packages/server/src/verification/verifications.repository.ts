import type { Database, VerificationRow, Write } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import { MAX_ATTEMPTS } from './secrets.js'

type Q = Kysely<Database> | Transaction<Database>

export function findVerification(
  db: Q,
  ownerId: string,
  slot: string,
): Promise<VerificationRow | undefined> {
  return db
    .selectFrom('verifications')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('slot', '=', slot)
    .executeTakeFirst()
}

export function findByOwners(db: Q, ownerIds: string[]): Promise<VerificationRow[]> {
  if (ownerIds.length === 0) return Promise.resolve([])
  return db.selectFrom('verifications').selectAll().where('owner_id', 'in', ownerIds).execute()
}

export function findBySecret(db: Q, secretHash: string): Promise<VerificationRow | undefined> {
  return db
    .selectFrom('verifications')
    .selectAll()
    .where('secret_hash', '=', secretHash)
    .executeTakeFirst()
}

/** A new verification replacing the owner's previous one in that slot (its secret dies with it). */
export const verificationUpsert =
  (row: VerificationRow): Write =>
  (q) =>
    q
      .insertInto('verifications')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['owner_id', 'slot']).doUpdateSet({
          id: row.id,
          strategy: row.strategy,
          status: row.status,
          secret_hash: row.secret_hash,
          attempts: row.attempts,
          email_address: row.email_address,
          email_address_id: row.email_address_id,
          client_id: row.client_id,
          redirect_url: row.redirect_url,
          verified_at_client: null,
          sent_at: row.sent_at,
          verified_at: null,
          expire_at: row.expire_at,
          updated_at: row.updated_at,
          nonce: row.nonce,
        }),
      )

/**
 * Counts one attempt, atomically: only an unverified, unexpired row under the limit counts, so
 * parallel guesses can never take more than {@link MAX_ATTEMPTS}. Returns the attempts so far, or
 * undefined when the row could not take another.
 */
export async function countAttempt(db: Q, id: string, now: number): Promise<number | undefined> {
  const row = await db
    .updateTable('verifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('status', '=', 'unverified')
    .where('expire_at', '>', now)
    .where('attempts', '<', MAX_ATTEMPTS)
    .returning('attempts')
    .executeTakeFirst()
  return row?.attempts
}

export async function markStatus(db: Q, id: string, status: string, now: number): Promise<void> {
  await db
    .updateTable('verifications')
    .set({ status, updated_at: now })
    .where('id', '=', id)
    .execute()
}

/**
 * Marks a verification verified, once: of two requests racing with the right proof, one wins.
 * The secret is dropped with it, so a link or code cannot be replayed.
 */
export async function claimVerified(
  db: Q,
  id: string,
  now: number,
  verifiedAtClient: string | null,
): Promise<boolean> {
  const result = await db
    .updateTable('verifications')
    .set({
      status: 'verified',
      verified_at: now,
      verified_at_client: verifiedAtClient,
      secret_hash: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'unverified')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Every verification of an owner, as one write of a group (a step-up replaced by the next). */
export const ownerVerificationsDelete =
  (ownerId: string): Write =>
  (q) =>
    q.deleteFrom('verifications').where('owner_id', '=', ownerId)

export async function deleteForOwner(db: Q, ownerId: string): Promise<void> {
  await db.deleteFrom('verifications').where('owner_id', '=', ownerId).execute()
}
