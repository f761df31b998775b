import { type ClientRow, type Database, prepared } from '@latchkey/db'
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

export async function insertClient(db: Q, row: ClientRow): Promise<void> {
  await db.insertInto('clients').values(row).execute()
}

export async function updateClient(
  db: Q,
  id: string,
  patch: Updateable<Database['clients']>,
): Promise<void> {
  await db.updateTable('clients').set(patch).where('id', '=', id).execute()
}

export async function deleteClient(db: Q, id: string): Promise<void> {
  await db.deleteFrom('clients').where('id', '=', id).execute()
}
