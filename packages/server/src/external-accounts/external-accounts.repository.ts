import type {
  Database,
  ExternalAccountRow,
  OAuthConnectionRow,
  OAuthFlowRow,
  Write,
} from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function listConnections(db: Q): Promise<OAuthConnectionRow[]> {
  return db.selectFrom('oauth_connections').selectAll().orderBy('created_at').execute()
}

export function findConnection(db: Q, id: string): Promise<OAuthConnectionRow | undefined> {
  return db.selectFrom('oauth_connections').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findConnectionByProvider(
  db: Q,
  provider: string,
): Promise<OAuthConnectionRow | undefined> {
  return db
    .selectFrom('oauth_connections')
    .selectAll()
    .where('provider', '=', provider)
    .executeTakeFirst()
}

export async function insertConnection(db: Q, row: OAuthConnectionRow): Promise<void> {
  await db.insertInto('oauth_connections').values(row).execute()
}

export async function updateConnection(
  db: Q,
  id: string,
  patch: Partial<OAuthConnectionRow>,
): Promise<void> {
  await db.updateTable('oauth_connections').set(patch).where('id', '=', id).execute()
}

export async function deleteConnection(db: Q, id: string): Promise<boolean> {
  const r = await db.deleteFrom('oauth_connections').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) === 1
}

export function findAccount(
  db: Q,
  provider: string,
  providerUserId: string,
): Promise<ExternalAccountRow | undefined> {
  return db
    .selectFrom('external_accounts')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_user_id', '=', providerUserId)
    .executeTakeFirst()
}

export function accountsOfUsers(db: Q, userIds: string[]): Promise<ExternalAccountRow[]> {
  if (userIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('external_accounts')
    .selectAll()
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .execute()
}

export const accountInsert =
  (row: ExternalAccountRow): Write =>
  (q) =>
    q.insertInto('external_accounts').values(row)

export const flowInsert =
  (row: OAuthFlowRow): Write =>
  (q) =>
    q.insertInto('oauth_flows').values(row)

/** A transfer spends the flow's claims, in the group that creates the user. */
export const flowClaimsSpent =
  (id: string): Write =>
  (q) =>
    q.updateTable('oauth_flows').set({ claims: null }).where('id', '=', id)

export function findFlowById(db: Q, id: string): Promise<OAuthFlowRow | undefined> {
  return db.selectFrom('oauth_flows').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findFlowByState(db: Q, stateHash: string): Promise<OAuthFlowRow | undefined> {
  return db
    .selectFrom('oauth_flows')
    .selectAll()
    .where('state_hash', '=', stateHash)
    .executeTakeFirst()
}

export function findFlowByVerification(
  db: Q,
  verificationId: string,
): Promise<OAuthFlowRow | undefined> {
  return db
    .selectFrom('oauth_flows')
    .selectAll()
    .where('verification_id', '=', verificationId)
    .executeTakeFirst()
}

/** The client's latest flow whose provider answered (a transfer's source). */
export function latestAnsweredFlow(db: Q, clientId: string): Promise<OAuthFlowRow | undefined> {
  return db
    .selectFrom('oauth_flows')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('claims', 'is not', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst()
}

/** A transfer hands a flow's claims to the sign-up it became (a provider that gave no address). */
export const flowOwnerSet =
  (id: string, ownerId: string): Write =>
  (q) =>
    q.updateTable('oauth_flows').set({ owner_id: ownerId }).where('id', '=', id)

/** The owner's latest flow whose claims are kept (answered and not yet spent). */
export function answeredFlowOfOwner(db: Q, ownerId: string): Promise<OAuthFlowRow | undefined> {
  return db
    .selectFrom('oauth_flows')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('claims', 'is not', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst()
}

/**
 * Marks a flow used, once, before its code is exchanged: of two callbacks racing with the same
 * state, one exchanges. Only an unexpired flow can be used.
 */
export async function claimFlow(db: Q, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('oauth_flows')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expire_at', '>', now)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function storeClaims(db: Q, id: string, claims: string): Promise<void> {
  await db.updateTable('oauth_flows').set({ claims }).where('id', '=', id).execute()
}

/** Stores an IdP's answer on a flow nobody used or answered yet, before it expires. */
export async function answerFlow(db: Q, id: string, claims: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('oauth_flows')
    .set({ claims })
    .where('id', '=', id)
    .where('claims', 'is', null)
    .where('used_at', 'is', null)
    .where('expire_at', '>', now)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export function findAccountById(db: Q, id: string): Promise<ExternalAccountRow | undefined> {
  return db.selectFrom('external_accounts').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The provider's tokens on a linked account (a sign-in, a reauthorization, a refresh). */
export type TokenColumns = Pick<
  ExternalAccountRow,
  | 'access_token_sealed'
  | 'refresh_token_sealed'
  | 'token_expires_at'
  | 'token_type'
  | 'token_scopes'
>

export const accountTokensUpdate =
  (id: string, patch: TokenColumns & { approved_scopes?: string; updated_at: number }): Write =>
  (q) =>
    q.updateTable('external_accounts').set(patch).where('id', '=', id)

export async function deleteAccount(db: Q, id: string, userId: string): Promise<boolean> {
  const r = await db
    .deleteFrom('external_accounts')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return Number(r.numDeletedRows) === 1
}

export async function touchUser(db: Q, userId: string, now: number): Promise<void> {
  await db.updateTable('users').set({ updated_at: now }).where('id', '=', userId).execute()
}

/** The user's ways in besides external accounts: a password, passkeys, verified addresses. */
export async function otherWaysIn(
  db: Q,
  userId: string,
): Promise<{ password: boolean; passkeys: number; verifiedEmails: number }> {
  const user = await db
    .selectFrom('users')
    .select('password_digest')
    .where('id', '=', userId)
    .executeTakeFirst()
  const passkeys = await db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('user_id', '=', userId)
    .where('verified', '=', 1)
    .executeTakeFirstOrThrow()
  const emails = await db
    .selectFrom('email_addresses')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('user_id', '=', userId)
    .where('verified', '=', 1)
    .executeTakeFirstOrThrow()
  return {
    password: !!user?.password_digest,
    passkeys: Number(passkeys.n),
    verifiedEmails: Number(emails.n),
  }
}

/** Flows long expired (used or not): nothing reads them a day on. */
export async function pruneFlows(db: Q, before: number): Promise<number> {
  const r = await db.deleteFrom('oauth_flows').where('expire_at', '<', before).executeTakeFirst()
  return Number(r.numDeletedRows)
}
