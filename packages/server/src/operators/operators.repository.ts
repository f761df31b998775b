import type { Database, DialectName, OperatorCredentialRow, UserRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

/** An operator with the user's primary address (null when the user has none). */
export type OperatorListRow = { user_id: string; created_at: number; email_address: string | null }

export function listOperators(db: Q): Promise<OperatorListRow[]> {
  return db
    .selectFrom('operators as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .leftJoin('email_addresses as e', 'e.id', 'u.primary_email_address_id')
    .select(['o.user_id', 'o.created_at', 'e.email_address'])
    .orderBy('o.created_at')
    .orderBy('o.user_id')
    .execute()
}

export function findOperator(db: Q, userId: string): Promise<OperatorListRow | undefined> {
  return db
    .selectFrom('operators as o')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .leftJoin('email_addresses as e', 'e.id', 'u.primary_email_address_id')
    .select(['o.user_id', 'o.created_at', 'e.email_address'])
    .where('o.user_id', '=', userId)
    .executeTakeFirst()
}

/** Makes the user an operator; an operator already stays as it was (idempotent). */
export async function insertOperator(db: Q, userId: string, now: number): Promise<void> {
  await db
    .insertInto('operators')
    .values({ user_id: userId, created_at: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute()
}

export async function deleteCredentialsOfUser(db: Q, userId: string): Promise<void> {
  await db.deleteFrom('operator_credentials').where('user_id', '=', userId).execute()
}

/** Ends the user's operator role and every credential it holds; whether it was an operator. */
export async function deleteOperator(db: Q, userId: string): Promise<boolean> {
  await deleteCredentialsOfUser(db, userId)
  const result = await db.deleteFrom('operators').where('user_id', '=', userId).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function isOperator(db: Q, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('operators')
    .select('user_id')
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row !== undefined
}

export async function insertCredential(db: Q, row: OperatorCredentialRow): Promise<void> {
  await db.insertInto('operator_credentials').values(row).execute()
}

/**
 * A credential by its token's hash, with its user, only while the user is an operator: one
 * indexed read on every request, so a removed operator, a ban, a lock or a deletion stops the
 * credential in every process at once (no process keeps credentials in memory).
 */
export async function findCredentialOfOperator(
  db: Q,
  tokenHash: string,
): Promise<{ credential: OperatorCredentialRow; user: UserRow } | undefined> {
  const row = await db
    .selectFrom('operator_credentials as c')
    .innerJoin('operators as o', 'o.user_id', 'c.user_id')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .selectAll('u')
    .select([
      'c.id as credential_id',
      'c.token_hash as credential_token_hash',
      'c.created_at as credential_created_at',
      'c.last_used_at as credential_last_used_at',
    ])
    .where('c.token_hash', '=', tokenHash)
    .executeTakeFirst()
  if (!row) return undefined
  const {
    credential_id,
    credential_token_hash,
    credential_created_at,
    credential_last_used_at,
    ...user
  } = row
  return {
    credential: {
      id: credential_id,
      user_id: user.id,
      token_hash: credential_token_hash,
      created_at: credential_created_at,
      last_used_at: credential_last_used_at,
    },
    user: user as UserRow,
  }
}

export async function touchCredential(db: Q, id: string, now: number): Promise<void> {
  await db
    .updateTable('operator_credentials')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .execute()
}

export async function deleteCredential(db: Q, id: string): Promise<boolean> {
  const result = await db.deleteFrom('operator_credentials').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Forgets credentials that can no longer be used (idle since `idleBefore`, or too old). */
export async function purgeCredentials(
  db: Q,
  idleBefore: number,
  issuedBefore: number,
): Promise<void> {
  await db
    .deleteFrom('operator_credentials')
    .where((eb) =>
      eb.or([eb('last_used_at', '<', idleBefore), eb('created_at', '<', issuedBefore)]),
    )
    .execute()
}

export function findCredential(db: Q, id: string): Promise<OperatorCredentialRow | undefined> {
  return db.selectFrom('operator_credentials').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * When the user's password last changed, read after waiting for any change still in progress
 * (PostgreSQL: `FOR SHARE` waits for the transaction that holds the row; SQLite runs one write
 * at a time). Undefined: no such user.
 */
export async function passwordChangedAt(
  db: Q,
  dialect: DialectName,
  userId: string,
): Promise<number | null | undefined> {
  const q = db.selectFrom('users').select('password_updated_at').where('id', '=', userId)
  const row = await (dialect === 'postgres' ? q.forShare() : q).executeTakeFirst()
  return row === undefined ? undefined : row.password_updated_at
}
