import { type Database, type Write, writeAtomically } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import { runWrite } from '../lib/run-write.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './users.repository.js'
import type { UserWithEmails } from './users.service.js'

type Q = Kysely<Database> | Transaction<Database>

/**
 * The user's webhook events (issue #19), in one place for every route that changes a user.
 * `data` is the Backend API's user (`GET /v1/users/{id}`) after the change, rendered from rows
 * the caller holds in memory: on PostgreSQL an atomic group is one statement that cannot read
 * its own writes. A caller inside a transaction uses {@link userUpdatedIn}, which reads through
 * it. The event's cause is the request being served (http/request-cause.ts).
 */
export function userEvent(
  d: ServiceDeps,
  type: 'user.created' | 'user.updated',
  found: UserWithEmails,
): Write {
  return d.services.webhookEvents.event(type, d.services.users.toBackendJSON(found))
}

/** `user.deleted`: Clerk's deleted-object shape. */
export function userDeletedEvent(d: ServiceDeps, id: string): Write {
  return d.services.webhookEvents.event('user.deleted', { object: 'user', id, deleted: true })
}

/** The user's rows as `q` sees them (inside a transaction: with its own writes). */
export async function userRowsIn(
  d: ServiceDeps,
  q: Q,
  id: string,
): Promise<UserWithEmails | undefined> {
  const user = await repo.findUserById(q, id)
  if (!user) return undefined
  const emails = await repo.emailsForUsers(q, [id])
  return {
    user,
    emails,
    verifications: await d.services.verifications.findByOwners(
      emails.map((e) => e.id),
      q,
    ),
    passkeys: await d.services.passkeys.listForUsers([id], q),
    externalAccounts: await d.services.externalAccounts.accountsOfUsers([id], q),
  }
}

/**
 * Records `user.updated` inside the caller's transaction, after its writes: the user as the
 * transaction sees them, so the event commits or rolls back with the change.
 */
export async function userUpdatedIn(d: ServiceDeps, trx: Transaction<Database>, id: string) {
  const found = await userRowsIn(d, trx, id)
  if (!found) return
  await runWrite(trx, userEvent(d, 'user.updated', found))
}

/**
 * Runs a group of writes (`writeAtomically`'s unit). When `changedUserId` is given, the group
 * changes what the Backend API renders of that user (an address proved, an account linked): the
 * writes run in one transaction, in order, and its `user.updated` is recorded after them,
 * rendered through it (sign-in stamps included), so it commits or rolls back with them. Without
 * one, the group stays a single statement on PostgreSQL: a plain sign-in emits no
 * `user.updated` (docs/WEBHOOKS.md).
 */
export async function writeWithUserUpdated(
  d: ServiceDeps,
  writes: Write[],
  changedUserId: string | null | undefined,
): Promise<void> {
  if (!changedUserId) return writeAtomically(d.db, d.dialect, writes)
  await d.db.transaction().execute(async (trx) => {
    for (const write of writes) await runWrite(trx, write)
    await touchedAndUpdatedIn(d, trx, changedUserId)
  })
}

/**
 * {@link userUpdatedIn} for a change that does not stamp the user row itself (an address proved,
 * an account linked, a lock begun or lifted): `updated_at` moves first, as every change of the
 * user moves it, so receivers that order by `data.updated_at` see this event as the newer one.
 */
export async function touchedAndUpdatedIn(d: ServiceDeps, trx: Transaction<Database>, id: string) {
  await repo.updateUserRow(trx, id, { updated_at: d.clock.now() })
  await userUpdatedIn(d, trx, id)
}
