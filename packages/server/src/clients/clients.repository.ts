import { type ClientRow, type Database, named, prepared, type Write } from '@latchkey/db'
import type { Kysely, Transaction, Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

const clientByTokenHash = prepared((db, hash: string) =>
  db.selectFrom('clients').selectAll().where('token_hash', '=', hash),
)

/** Every Frontend API call starts here: a prepared point read on the token-hash index. */
export async function findClientByTokenHash(db: Q, hash: string): Promise<ClientRow | undefined> {
  return (await clientByTokenHash(db, hash))[0]
}

const clientById = prepared((db, id: string) =>
  db.selectFrom('clients').selectAll().where('id', '=', id),
)

/** Every Frontend API answer renders its client: a prepared primary-key read. */
export async function findClient(db: Q, id: string): Promise<ClientRow | undefined> {
  return (await clientById(db, id))[0]
}

/** A new browser's client, as one write of a group (`writeAtomically`). */
export const clientInsert =
  (row: ClientRow): Write =>
  (q) =>
    q.insertInto('clients').values(row)

/** A client's patch, as one write of a group. */
export const clientUpdate =
  (id: string, patch: Updateable<Database['clients']>): Write =>
  (q) =>
    q.updateTable('clients').set(patch).where('id', '=', id)

/** A sign-in or sign-up on a new browser writes one: a named statement on PostgreSQL. */
export async function insertClient(db: Q, row: ClientRow): Promise<void> {
  await named(db, clientInsert(row)(db))
}

export async function updateClient(
  db: Q,
  id: string,
  patch: Updateable<Database['clients']>,
): Promise<void> {
  // The patches are the services' own few shapes, so each is a named statement on PostgreSQL.
  await named(db, clientUpdate(id, patch)(db))
}

export async function deleteClient(db: Q, id: string): Promise<void> {
  await db.deleteFrom('clients').where('id', '=', id).execute()
}
