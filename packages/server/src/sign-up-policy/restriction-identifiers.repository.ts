import type { Database, RestrictionIdentifierRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

/** Which list: Clerk's allowlist or blocklist identifiers (one table each, the same shape). */
export type ListName = 'allowlist' | 'blocklist'

const TABLES = {
  allowlist: 'allowlist_identifiers',
  blocklist: 'blocklist_identifiers',
} as const satisfies Record<ListName, keyof Database>

/** Newest first, as Clerk lists them. */
export function listIdentifiers(
  db: Q,
  list: ListName,
  limit: number,
  offset: number,
): Promise<RestrictionIdentifierRow[]> {
  return db
    .selectFrom(TABLES[list])
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute()
}

export async function countIdentifiers(db: Q, list: ListName): Promise<number> {
  const row = await db
    .selectFrom(TABLES[list])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function insertIdentifier(
  db: Q,
  list: ListName,
  row: RestrictionIdentifierRow,
): Promise<void> {
  await db.insertInto(TABLES[list]).values(row).execute()
}

export async function deleteIdentifier(db: Q, list: ListName, id: string): Promise<boolean> {
  const r = await db.deleteFrom(TABLES[list]).where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

/** Whether any of these (normalized) identifiers is on the list: one indexed read. */
export async function anyListed(db: Q, list: ListName, identifiers: string[]): Promise<boolean> {
  if (identifiers.length === 0) return false
  const row = await db
    .selectFrom(TABLES[list])
    .select('id')
    .where('identifier', 'in', identifiers)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
