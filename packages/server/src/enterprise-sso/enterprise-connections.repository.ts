import type { Database, EnterpriseConnectionRow, SamlAssertionRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function listConnections(
  db: Q,
  protocol?: 'saml' | 'oidc',
): Promise<EnterpriseConnectionRow[]> {
  let q = db.selectFrom('enterprise_connections').selectAll()
  if (protocol) q = q.where('protocol', '=', protocol)
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
}

export function findConnection(db: Q, id: string): Promise<EnterpriseConnectionRow | undefined> {
  return db.selectFrom('enterprise_connections').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertConnection(db: Q, row: EnterpriseConnectionRow): Promise<void> {
  await db.insertInto('enterprise_connections').values(row).execute()
}

export async function updateConnection(
  db: Q,
  id: string,
  patch: Partial<EnterpriseConnectionRow>,
): Promise<void> {
  await db.updateTable('enterprise_connections').set(patch).where('id', '=', id).execute()
}

export async function deleteConnection(db: Q, id: string): Promise<boolean> {
  const r = await db.deleteFrom('enterprise_connections').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) === 1
}

/** Users linked through a connection (`user_count`): its external accounts. */
export async function countUsers(db: Q, provider: string): Promise<number> {
  const r = await db
    .selectFrom('external_accounts')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('provider', '=', provider)
    .executeTakeFirst()
  return Number(r?.n ?? 0)
}

/**
 * Records an accepted assertion id. The primary key (issuer, assertion id) makes a second
 * acceptance fail in every process at once; expired rows are swept first, so an id is kept
 * exactly as long as the assertion could be presented.
 */
export async function recordAssertion(db: Q, row: SamlAssertionRow): Promise<boolean> {
  await db.deleteFrom('saml_assertions').where('expire_at', '<=', row.created_at).execute()
  const r = await db
    .insertInto('saml_assertions')
    .values(row)
    .onConflict((oc) => oc.columns(['issuer', 'assertion_id']).doNothing())
    .returning('assertion_id')
    .executeTakeFirst()
  return r !== undefined
}
