import { containsIgnoringCase, type Database, type OAuthApplicationRow } from '@latchkey/db'
import type { Kysely, Transaction, Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findApplication(db: Q, id: string): Promise<OAuthApplicationRow | undefined> {
  return db.selectFrom('oauth_applications').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findApplicationByClientId(
  db: Q,
  clientId: string,
): Promise<OAuthApplicationRow | undefined> {
  return db
    .selectFrom('oauth_applications')
    .selectAll()
    .where('client_id', '=', clientId)
    .executeTakeFirst()
}

export async function insertApplication(db: Q, row: OAuthApplicationRow): Promise<void> {
  await db.insertInto('oauth_applications').values(row).execute()
}

export async function updateApplication(
  db: Q,
  id: string,
  patch: Updateable<Database['oauth_applications']>,
): Promise<void> {
  await db.updateTable('oauth_applications').set(patch).where('id', '=', id).execute()
}

export async function deleteApplication(db: Q, id: string): Promise<boolean> {
  const r = await db.deleteFrom('oauth_applications').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

export type ListFilter = {
  limit: number
  offset: number
  orderBy: 'created_at' | 'name'
  direction: 'asc' | 'desc'
  nameQuery?: string | undefined
}

function filtered(db: Q, nameQuery: string | undefined) {
  let q = db.selectFrom('oauth_applications')
  if (nameQuery) {
    q = q.where((eb) =>
      eb.or([containsIgnoringCase('name', nameQuery), eb('client_id', '=', nameQuery)]),
    )
  }
  return q
}

export function listApplications(db: Q, f: ListFilter): Promise<OAuthApplicationRow[]> {
  return filtered(db, f.nameQuery)
    .selectAll()
    .orderBy(f.orderBy, f.direction)
    .orderBy('id')
    .limit(f.limit)
    .offset(f.offset)
    .execute()
}

export async function countApplications(db: Q, nameQuery: string | undefined): Promise<number> {
  const r = await filtered(db, nameQuery)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** Everything oidc-provider stored for a client: its grants, codes and tokens. */
export async function deleteModelsOfClient(db: Q, clientId: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('client_id', '=', clientId).execute()
}

/**
 * Everything oidc-provider stored for a user: their grants, codes, access and refresh tokens
 * (each carries the account id), and its browser sessions.
 */
export async function deleteModelsOfAccount(db: Q, accountId: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('account_id', '=', accountId).execute()
}
