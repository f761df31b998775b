import { type Database, named, prepared, type SessionRow, type Write } from '@latchkey/db'
import { type Insertable, type Kysely, sql, type Transaction, type Updateable } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

const sessionById = prepared((db, id: string) =>
  db.selectFrom('sessions').selectAll().where('id', '=', id),
)

/** On every token mint: a prepared primary-key read. */
export async function findSession(db: Q, id: string): Promise<SessionRow | undefined> {
  return (await sessionById(db, id))[0]
}

const sessionOfClientToken = prepared((db, id: string, tokenHash: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('clients', 'clients.id', 'sessions.client_id')
    .selectAll('sessions')
    .where('sessions.id', '=', id)
    .where('clients.token_hash', '=', tokenHash),
)

/** A session, if the client holding `tokenHash` owns it: a token mint's one read. */
export async function findSessionOfClientToken(
  db: Q,
  id: string,
  tokenHash: string,
): Promise<SessionRow | undefined> {
  return (await sessionOfClientToken(db, id, tokenHash))[0]
}

/** A new session, as one write of a group (`writeAtomically`). */
export const sessionInsert =
  (row: Insertable<Database['sessions']>): Write =>
  (q) =>
    q.insertInto('sessions').values(row)

export async function insertSession(db: Q, row: Insertable<Database['sessions']>): Promise<void> {
  await named(db, sessionInsert(row)(db))
}

export async function updateSession(
  db: Q,
  id: string,
  patch: Updateable<Database['sessions']>,
): Promise<void> {
  await db.updateTable('sessions').set(patch).where('id', '=', id).execute()
}

/** Moves every still-active session matching the filter to `status`; the rows as they are now. */
export function endSessions(
  db: Q,
  where: { userId?: string; clientId?: string; exceptId?: string },
  status: string,
  now: number,
): Promise<SessionRow[]> {
  let q = db.updateTable('sessions').set({ status, updated_at: now }).where('status', '=', 'active')
  if (where.userId) q = q.where('user_id', '=', where.userId)
  if (where.clientId) q = q.where('client_id', '=', where.clientId)
  if (where.exceptId) q = q.where('id', '!=', where.exceptId)
  return q.returningAll().execute()
}

/** Clears the task `key` from one live session of the user's (the only task there is today). */
export async function clearTask(
  db: Q,
  where: { userId: string; sessionId: string },
  key: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ tasks: null, updated_at: now })
    .where('id', '=', where.sessionId)
    .where('user_id', '=', where.userId)
    .where('status', '=', 'active')
    .where('tasks', '=', key)
    .execute()
}

/**
 * Records activity for many sessions in one statement: each `[id, at]` moves the session's
 * `last_active_at` (and its inactivity deadline) forward to `at`, never back.
 */
export async function recordActivity(
  db: Q,
  activity: [id: string, at: number][],
  inactivityMs: number,
): Promise<void> {
  if (activity.length === 0) return
  // `VALUES` names its columns column1, column2 on both SQLite and PostgreSQL.
  const rows = sql.join(activity.map(([id, at]) => sql`(${id}, cast(${at} as bigint))`))
  await sql`update sessions
    set last_active_at = v.column2, abandon_at = v.column2 + ${inactivityMs}, updated_at = v.column2
    from (values ${rows}) as v
    where sessions.id = v.column1 and sessions.last_active_at < v.column2`.execute(db)
}

export type SessionFilter = {
  userId?: string
  clientId?: string
  status?: string
  /**
   * Only sessions whose sign-in finished: no task left (a pending session's `setup-mfa` is
   * cleared when that session enrols a factor; one that ended pending keeps it).
   */
  completed?: boolean
}

function filtered(db: Q, f: SessionFilter) {
  let q = db.selectFrom('sessions')
  if (f.userId) q = q.where('user_id', '=', f.userId)
  if (f.clientId) q = q.where('client_id', '=', f.clientId)
  if (f.status) q = q.where('status', '=', f.status)
  if (f.completed) q = q.where('tasks', 'is', null)
  return q
}

export function listSessions(
  db: Q,
  f: SessionFilter,
  limit: number,
  offset: number,
): Promise<SessionRow[]> {
  return filtered(db, f)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute()
}

export async function countSessions(db: Q, f: SessionFilter): Promise<number> {
  const r = await filtered(db, f)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

const activeOfClient = prepared((db, clientId: string) =>
  db
    .selectFrom('sessions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('status', '=', 'active')
    .orderBy('created_at', 'asc'),
)

/** A client's active sessions, oldest first: every Frontend API answer renders them. */
export function activeSessionsOfClient(db: Q, clientId: string): Promise<SessionRow[]> {
  return activeOfClient(db, clientId)
}
