import {
  containsIgnoringCase,
  type Database,
  type EmailAddressRow,
  type NewUser,
  prepared,
  type UserRow,
  type UserUpdate,
  type Write,
} from '@latchkey/db'
import { type Kysely, SqliteAdapter, sql, type Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

const userById = prepared((db, id: string) =>
  db.selectFrom('users').selectAll().where('id', '=', id),
)
const emailsOfUser = prepared((db, id: string) =>
  db
    .selectFrom('email_addresses')
    .selectAll()
    .where('user_id', '=', id)
    .orderBy('created_at')
    .orderBy('id'),
)

/** On every template mint (claims): a prepared primary-key read. */
export async function findUserById(db: Q, id: string): Promise<UserRow | undefined> {
  return (await userById(db, id))[0]
}

/** A new user, as one write of a group (`writeAtomically`). */
export const userInsert =
  (row: NewUser): Write =>
  (q) =>
    q.insertInto('users').values(row)

/** A new user's email addresses (at least one), as one write of a group. */
export const emailsInsert =
  (rows: EmailAddressRow[]): Write =>
  (q) =>
    q.insertInto('email_addresses').values(rows)

export async function updateUserRow(db: Q, id: string, patch: UserUpdate): Promise<void> {
  await db.updateTable('users').set(patch).where('id', '=', id).execute()
}

/** Stamps a completed sign-in, as one write of a group (`writeAtomically`). */
export const signInStamp =
  (id: string, at: number): Write =>
  (q) =>
    q.updateTable('users').set({ last_sign_in_at: at, last_active_at: at }).where('id', '=', id)

export async function deleteUserRow(db: Q, id: string): Promise<boolean> {
  // The addresses go by ON DELETE CASCADE; their verifications (owned by the address) go first.
  await db
    .deleteFrom('verifications')
    .where('owner_id', 'in', (eb) =>
      eb.selectFrom('email_addresses').select('id').where('user_id', '=', id),
    )
    .execute()
  const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) > 0
}

const userByEmail = prepared((db, emailLower: string) =>
  db
    .selectFrom('users')
    .innerJoin('email_addresses', 'email_addresses.user_id', 'users.id')
    .selectAll('users')
    .where('email_addresses.email_address', '=', emailLower),
)

/** The owner of an email address (lower-cased), in one read: every password sign-in starts here. */
export async function findUserByEmail(db: Q, emailLower: string): Promise<UserRow | undefined> {
  return (await userByEmail(db, emailLower))[0]
}

export function findUserByUsername(db: Q, usernameLower: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', usernameLower).executeTakeFirst()
}

export function findUserByExternalId(db: Q, externalId: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst()
}

/**
 * The addresses that hold their identifier: verified ones, and each user's primary (the one they
 * sign in with). An unverified address a user merely added does not (Clerk's rule: an unproved
 * address owns nothing); whoever adds or signs up with it takes it ({@link releaseEmails}).
 */
export async function existingEmails(db: Q, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return []
  const rows = await db
    .selectFrom('email_addresses as e')
    .select('e.email_address')
    .where('e.email_address', 'in', emails)
    .where((eb) =>
      eb.or([
        eb('e.verified', '=', 1),
        eb.exists(
          eb
            .selectFrom('users as u')
            .select('u.id')
            .whereRef('u.primary_email_address_id', '=', 'e.id'),
        ),
      ]),
    )
    .execute()
  return rows.map((r) => r.email_address)
}

/**
 * Frees addresses that other users hold unproved and not as their primary, before they are
 * given to someone else; the change feed sees the delete. Run just before the insert that takes
 * them (a racing insert still meets the unique index).
 */
export async function releaseEmails(db: Q, emails: string[]): Promise<void> {
  if (emails.length === 0) return
  await db
    .deleteFrom('email_addresses as e')
    .where('e.email_address', 'in', emails)
    .where('e.verified', '=', 0)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('users as u')
            .select('u.id')
            .whereRef('u.primary_email_address_id', '=', 'e.id'),
        ),
      ),
    )
    .execute()
}

/**
 * Deletes one of a user's addresses unless it is their primary, with its pending verification
 * (a code or link for a gone address must prove nothing). Returns whether it was deleted.
 *
 * The user row is stamped first: that takes its row lock (PostgreSQL) or the write lock
 * (SQLite), so a concurrent change of the primary waits, and the delete then reads the primary
 * as committed, in the same statement that deletes (#16: the primary never names a deleted
 * address).
 */
export async function deleteEmailOfUser(
  db: Q,
  userId: string,
  emailId: string,
  now: number,
): Promise<boolean> {
  await db.updateTable('users').set({ updated_at: now }).where('id', '=', userId).execute()
  const r = await db
    .deleteFrom('email_addresses')
    .where('id', '=', emailId)
    .where('user_id', '=', userId)
    .where(({ not, exists, selectFrom, ref }) =>
      not(
        exists(
          selectFrom('users')
            .select('users.id')
            .where('users.id', '=', userId)
            .whereRef('users.primary_email_address_id', '=', ref('email_addresses.id')),
        ),
      ),
    )
    .executeTakeFirst()
  if (Number(r.numDeletedRows) === 0) return false
  await db.deleteFrom('verifications').where('owner_id', '=', emailId).execute()
  return true
}

/** Whether `emailId` is one of the user's addresses (read inside the caller's transaction). */
export async function isEmailOfUser(db: Q, userId: string, emailId: string): Promise<boolean> {
  const row = await db
    .selectFrom('email_addresses')
    .select('id')
    .where('id', '=', emailId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row !== undefined
}

/** How many addresses a user has. */
export async function countEmailsOfUser(db: Q, userId: string): Promise<number> {
  const row = await db
    .selectFrom('email_addresses')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Stamps an address, as one write of a group: its verification changed (the row lives in the
 * verifications table, which the change feed does not watch), so the cached user reloads.
 */
export const emailStamp =
  (emailId: string, at: number): Write =>
  (q) =>
    q.updateTable('email_addresses').set({ updated_at: at }).where('id', '=', emailId)

export function emailsForUsers(db: Q, userIds: string[]): Promise<EmailAddressRow[]> {
  if (userIds.length === 0) return Promise.resolve([])
  if (userIds.length === 1) return emailsOfUser(db, userIds[0] as string)
  return db
    .selectFrom('email_addresses')
    .selectAll()
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Filters of `GET /v1/users` and `GET /v1/users/count`. */
export type UserFilter = {
  emailAddress?: string[]
  userId?: string[]
  externalId?: string[]
  username?: string[]
  query?: string
}

export type UserOrder = {
  column:
    | 'created_at'
    | 'updated_at'
    | 'last_sign_in_at'
    | 'last_active_at'
    | 'first_name'
    | 'last_name'
    | 'username'
  direction: 'asc' | 'desc'
}

function filtered(db: Q, f: UserFilter) {
  let q = db.selectFrom('users')
  if (f.userId?.length) q = q.where('users.id', 'in', f.userId)
  if (f.externalId?.length) q = q.where('users.external_id', 'in', f.externalId)
  if (f.username?.length) q = q.where('users.username', 'in', f.username)
  if (f.emailAddress?.length) {
    const emails = f.emailAddress
    q = q.where('users.id', 'in', (eb) =>
      eb.selectFrom('email_addresses').select('user_id').where('email_address', 'in', emails),
    )
  }
  if (f.query) {
    const text = f.query
    q = q.where('users.id', 'in', matchingIds(db, text))
  }
  return q
}

/**
 * The ids `query=` finds: users of whom every word of the text is a substring (ignoring case) of
 * a first or last name, a username or an email address, and the user whose id or external id is
 * the whole text. Each word's set is read from the trigram indexes of migration 0034 (pg_trgm's
 * on PostgreSQL, an FTS5 trigram table on SQLite), so a search costs the rows it finds, not the
 * users there are. A word under three characters has no trigram: it scans (SQLite's table of
 * searchable values; PostgreSQL's indexes whole), and answers the same.
 */
function matchingIds(db: Q, text: string) {
  const words = [...new Set(text.toLowerCase().split(/\s+/).filter(Boolean))]
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  // Each word's set is a subquery of its own: PostgreSQL binds INTERSECT tighter than UNION.
  const wordSets = words.map((w, i) =>
    db
      .selectFrom((sqlite ? sqliteWord(db, w) : postgresWord(db, w)).as(`w${i}`))
      .select(`w${i}.id` as 'id'),
  )
  const whole = db
    .selectFrom('users')
    .select('id')
    .where('id', '=', text)
    .union(db.selectFrom('users').select('id').where('external_id', '=', text))
  if (wordSets.length === 0) return whole
  const all = wordSets.reduce((acc, set) => acc.intersect(set))
  return db.selectFrom(all.as('words')).select('words.id').union(whole)
}

function postgresWord(db: Q, word: string) {
  return db
    .selectFrom('users')
    .select('id')
    .where(containsIgnoringCase('first_name', word))
    .union(db.selectFrom('users').select('id').where(containsIgnoringCase('last_name', word)))
    .union(db.selectFrom('users').select('id').where(containsIgnoringCase('username', word)))
    .union(
      db
        .selectFrom('email_addresses')
        .select('user_id as id')
        .where(containsIgnoringCase('email_address', word)),
    )
}

/** The table and index migration 0034 keeps on SQLite, which the schema type does not name. */
type SearchValues = { user_search_values: { id: number; user_id: string; value: string } }

/** One word's ids on SQLite; typed as the PostgreSQL set (the same single `id` column). */
function sqliteWord(db: Q, word: string): ReturnType<typeof postgresWord> {
  return sqliteWordQuery(db, word) as unknown as ReturnType<typeof postgresWord>
}

function sqliteWordQuery(db: Q, word: string) {
  const values = (db as unknown as Kysely<SearchValues>).selectFrom('user_search_values')
  if ([...word].length < 3) {
    return values.select('user_id as id').where(containsIgnoringCase('value', word)).distinct()
  }
  // A quoted FTS5 string is taken literally; the trigram tokenizer matches it as a substring.
  const phrase = `"${word.replaceAll('"', '""')}"`
  return values
    .select('user_id as id')
    .where(
      'id',
      'in',
      sql<number>`(select rowid from user_search where user_search match ${phrase})`,
    )
    .distinct()
}

export function listUsers(db: Q, f: UserFilter, order: UserOrder, limit: number, offset: number) {
  return filtered(db, f)
    .selectAll('users')
    .orderBy(order.column, order.direction)
    .orderBy('users.id', order.direction)
    .limit(limit)
    .offset(offset)
    .execute()
}

export async function countUsers(db: Q, f: UserFilter): Promise<number> {
  const row = await filtered(db, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Records one failed password attempt; returns the new count. */
export async function incrementFailedAttempts(db: Q, id: string, now: number): Promise<number> {
  await db
    .updateTable('users')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute()
  const row = await db
    .selectFrom('users')
    .select('failed_attempts')
    .where('id', '=', id)
    .executeTakeFirst()
  return row?.failed_attempts ?? 0
}

/** An address proved by a verification (a code or link it received), as one write of a group. */
export const emailVerifiedUpdate =
  (emailId: string, at: number): Write =>
  (q) =>
    q.updateTable('email_addresses').set({ verified: 1, updated_at: at }).where('id', '=', emailId)

/** One email address by id (the Backend API's `/v1/email_addresses/{id}`). */
export function findEmailById(db: Q, id: string): Promise<EmailAddressRow | undefined> {
  return db.selectFrom('email_addresses').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertEmail(db: Q, row: EmailAddressRow): Promise<void> {
  await db.insertInto('email_addresses').values(row).execute()
}

export async function setEmailVerified(db: Q, id: string, verified: number, now: number) {
  await db
    .updateTable('email_addresses')
    .set({ verified, updated_at: now })
    .where('id', '=', id)
    .execute()
}

/**
 * Claims one second-factor attempt on the account before its code is compared, in one
 * conditional UPDATE (atomic on both dialects: concurrent claims of the row serialize, and each
 * re-reads it): counts it and, from the `lockFrom`-th consecutive one on, locks second factors
 * until `lockUntil` in the same write, so a burst of parallel guesses cannot all pass a lock
 * not yet written. Refused (undefined) while second factors are locked, unless `ignoreLock` (a
 * known device), and with `belowLock` when this attempt would lock them (the caller then claims
 * again in the transaction that records the lock's `user.updated`). Returns the count, this
 * attempt included.
 */
export async function claimSecondFactorAttempt(
  db: Q,
  id: string,
  now: number,
  opts: { lockFrom: number; lockUntil: number; ignoreLock: boolean; belowLock?: boolean },
): Promise<number | undefined> {
  let q = db
    .updateTable('users')
    .set((eb) => ({
      second_factor_failures: eb('second_factor_failures', '+', 1),
      second_factor_locked_until: eb
        .case()
        .when('second_factor_failures', '>=', opts.lockFrom - 1)
        .then(opts.lockUntil)
        .else(eb.ref('second_factor_locked_until'))
        .end(),
    }))
    .where('id', '=', id)
  if (!opts.ignoreLock)
    q = q.where((eb) =>
      eb.or([
        eb('second_factor_locked_until', 'is', null),
        eb('second_factor_locked_until', '<=', now),
      ]),
    )
  if (opts.belowLock) q = q.where('second_factor_failures', '<', opts.lockFrom - 1)
  const row = await q.returning('second_factor_failures').executeTakeFirst()
  return row ? Number(row.second_factor_failures) : undefined
}

/** A right second factor: the account's consecutive second-factor failures and lock are over. */
export async function clearSecondFactorFailures(db: Q, id: string): Promise<void> {
  await db
    .updateTable('users')
    .set({ second_factor_failures: 0, second_factor_locked_until: null })
    .where('id', '=', id)
    .where('second_factor_failures', '>', 0)
    .execute()
}
