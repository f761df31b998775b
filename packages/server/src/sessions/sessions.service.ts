import { ApiError, newId, type SessionId } from '@latchkey/contracts'
import { type Database, RowCache, type SessionRow, type UserRow, type Write } from '@latchkey/db'
import type { Transaction } from 'kysely'
import { inactivityMs } from '../instance/session-settings.js'
import { sha256 } from '../lib/crypto.js'
import { runWrite } from '../lib/run-write.js'
import type { ServiceDeps } from '../service-deps.js'
import { sessionEvent } from './session-events.js'
import { type SessionTaskKey, tasksAtSignIn } from './session-tasks.js'
import { effectiveStatus, isLive, sessionToJSON } from './sessions.mapper.js'
import * as repo from './sessions.repository.js'

/**
 * Activity is recorded at most once a minute per session, and written in batches: a token mint
 * every ~50 s from every open tab must not be a database write each time (issue #6). Each
 * process keeps what it saw and writes it every few seconds in one statement; its own reads
 * see it at once. The inactivity timeout is days, so seconds of delay across processes, or
 * activity lost in a crash, are immaterial.
 */
const ACTIVITY_WRITE_INTERVAL_MS = 60_000
const ACTIVITY_FLUSH_MS = 2_000
const ACTIVITY_BATCH = 500

/** 403, not 401: a pending session stays signed in to do its tasks. */
const pendingRefused = () =>
  ApiError.of('not_allowed_access', {
    longMessage: 'This session has tasks to complete first (it is pending).',
  })

const sessionNotFound = (id: string) =>
  ApiError.of('resource_not_found', { longMessage: `No session was found with id ${id}.` })

type EndStatus = 'revoked' | 'ended' | 'removed'

/** Where a session was started: the request's User-Agent and client IP. */
export type Device = { userAgent?: string | undefined; ipAddress?: string | undefined }

export class SessionsService {
  private readonly d: ServiceDeps
  /** Sessions as token mints read them: each open tab mints about once a minute. */
  readonly #usable: RowCache<SessionRow>
  /** Activity seen by this process and not yet written, by session id. */
  readonly #activity = new Map<string, number>()
  #flush: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#usable = new RowCache(deps.changes)
  }

  /**
   * A new session, not yet written: insert it with {@link insertWrite} in the caller's group.
   * `tasks` (from {@link tasksFor}) makes it `pending` until they are done.
   */
  newRow(
    userId: string,
    clientId: string,
    device: Device = {},
    tasks: string | null = null,
  ): SessionRow {
    const now = this.d.clock.now()
    // The instance's lifetimes (issue #20), as read by this request (`tasksFor` reads them).
    const lifetimes = this.d.services.instance.lastSessionLifetimes()
    const row: SessionRow = {
      id: newId('session'),
      client_id: clientId,
      user_id: userId,
      status: 'active',
      last_active_at: now,
      expire_at: now + lifetimes.lifetimeSeconds * 1000,
      abandon_at: now + inactivityMs(lifetimes),
      created_at: now,
      updated_at: now,
      user_agent: device.userAgent?.slice(0, 512) ?? null,
      ip_address: device.ipAddress?.slice(0, 64) ?? null,
      second_factor_at: null,
      first_factor_at: null,
      tasks,
    }
    return row
  }

  /** The tasks a session for this user starts with (instance settings; session-tasks.ts). */
  async tasksFor(user: Parameters<typeof tasksAtSignIn>[1]): Promise<string | null> {
    return tasksAtSignIn((await this.d.services.instance.settings()).mfa_required, user)
  }

  /**
   * The session that did `key` (enrolled a second factor) becomes active, in the caller's
   * transaction. Only that one: another pending session of the user's proved no more than a
   * password, and may be an attacker's waiting for the owner to enrol; it stays pending and
   * its holder must sign in again, with the new factor.
   */
  async completeTask(
    trx: Transaction<Database>,
    where: { userId: string; sessionId: string },
    key: SessionTaskKey,
  ) {
    await repo.clearTask(trx, where, key, this.d.clock.now())
  }

  /** A new session's writes for the caller's group: the row and its `session.created` event. */
  insertWrites(row: SessionRow): Write[] {
    return [repo.sessionInsert(row), sessionEvent(this.d, 'session.created', row)]
  }

  async get(id: string): Promise<SessionRow> {
    const s = await repo.findSession(this.d.db, id)
    if (!s) throw sessionNotFound(id)
    return s
  }

  find(id: string): Promise<SessionRow | undefined> {
    return repo.findSession(this.d.db, id)
  }

  toJSON(s: SessionRow) {
    return sessionToJSON(s, this.d.clock.now())
  }

  list(f: repo.SessionFilter, limit: number, offset: number) {
    return repo.listSessions(this.d.db, f, limit, offset)
  }

  count(f: repo.SessionFilter) {
    return repo.countSessions(this.d.db, f)
  }

  activeOfClient(clientId: string): Promise<SessionRow[]> {
    return repo.activeSessionsOfClient(this.d.db, clientId)
  }

  /**
   * Ends one session with a final status; only a live (active or pending) one can be ended.
   * The change and its webhook event (`session.revoked|ended|removed`) are one transaction.
   */
  async end(id: string, status: EndStatus): Promise<SessionRow> {
    return this.d.db.transaction().execute(async (trx) => {
      const s = await repo.findSession(trx, id)
      if (!s) throw sessionNotFound(id)
      const now = this.d.clock.now()
      if (!isLive(effectiveStatus(s, now))) return s
      const after: SessionRow = { ...s, status, updated_at: now }
      await repo.updateSession(trx, id, { status, updated_at: now })
      await runWrite(trx, sessionEvent(this.d, `session.${status}`, after))
      return after
    })
  }

  /**
   * Ends the sessions matching `where` in `trx` (or a transaction of its own), with one
   * webhook event per session ended.
   */
  async endWhere(
    where: { userId?: string; clientId?: string; exceptId?: string },
    status: EndStatus,
    trx?: Transaction<Database>,
  ): Promise<void> {
    const run = async (t: Transaction<Database>) => {
      const ended = await repo.endSessions(t, where, status, this.d.clock.now())
      for (const s of ended) await runWrite(t, sessionEvent(this.d, `session.${status}`, s))
    }
    if (trx) await run(trx)
    else await this.d.db.transaction().execute(run)
  }

  async revokeAllForUser(userId: string, trx?: Transaction<Database>): Promise<void> {
    await this.endWhere({ userId }, 'revoked', trx)
  }

  /** Signs the user out everywhere but `keepId` (a password change from the profile). */
  async revokeOthersOfUser(
    userId: string,
    keepId: string,
    trx?: Transaction<Database>,
  ): Promise<void> {
    await this.endWhere({ userId, exceptId: keepId }, 'revoked', trx)
  }

  /** The user's sessions that can still be used (active or pending), most recently active first. */
  async activeOfUser(userId: string): Promise<SessionRow[]> {
    const now = this.d.clock.now()
    const rows = await repo.listSessions(this.d.db, { userId, status: 'active' }, 100, 0)
    return rows
      .filter((s) => isLive(effectiveStatus(s, now)))
      .sort((a, b) => b.last_active_at - a.last_active_at)
  }

  /**
   * The session a token preview renders for: the one named (it must be the user's), else the
   * user's most recently active one, else a stand-in that is never written, so a user who is not
   * signed in can be previewed too.
   */
  async forPreview(
    userId: string,
    sessionId: string | undefined,
  ): Promise<{ session: SessionRow; standIn: boolean }> {
    await this.d.services.users.getById(userId)
    if (sessionId) {
      const session = await this.find(sessionId)
      if (!session || session.user_id !== userId)
        throw ApiError.of('resource_not_found', {
          longMessage: `User ${userId} has no session ${sessionId}.`,
          meta: { param_name: 'session_id' },
        })
      return { session, standIn: false }
    }
    const [newest] = await this.activeOfUser(userId)
    if (newest) return { session: newest, standIn: false }
    return { session: this.newRow(userId, 'client_preview'), standIn: true }
  }

  async endAllOfClient(
    clientId: string,
    status: 'ended' | 'removed',
    trx?: Transaction<Database>,
  ): Promise<void> {
    await this.endWhere({ clientId }, status, trx)
  }

  /**
   * The session if it may be used now (active or pending its tasks, not expired or abandoned,
   * and — from the Frontend API — owned by the calling client). Otherwise a 4xx:
   * `resource_not_found` for a session the caller cannot see, `session_not_active` (401, which
   * signs a browser out) for one that ended. A pending session may do its tasks (`/v1/me`) and
   * mint session tokens marked `sts: pending`; see {@link getSignedIn} for full access.
   */
  async getUsable(id: string, clientId?: string): Promise<SessionRow> {
    const s = await this.#usable.get(
      id,
      () => repo.findSession(this.d.db, id),
      () => [`session:${id}`],
    )
    if (!s || (clientId !== undefined && s.client_id !== clientId)) throw sessionNotFound(id)
    return this.#active(s)
  }

  /**
   * {@link getUsable}, but only a session whose tasks are done: what signing a user in
   * elsewhere (OAuth consent) requires. A pending session there is not signed in.
   */
  async getSignedIn(id: string, clientId: string): Promise<SessionRow> {
    const s = await this.getUsable(id, clientId)
    if (effectiveStatus(s, this.d.clock.now()) !== 'active') throw pendingRefused()
    return s
  }

  /** Whether a usable session is pending its tasks (Clerk's `pending`, e.g. `setup-mfa`). */
  isPending(s: SessionRow): boolean {
    return effectiveStatus(s, this.d.clock.now()) === 'pending'
  }

  /** The session with this process's unwritten activity, if it is live now; else a 401. */
  #active(s: SessionRow): SessionRow {
    const current = this.#withActivity(s)
    const status = effectiveStatus(current, this.d.clock.now())
    if (!isLive(status)) {
      throw ApiError.of('session_not_active', { longMessage: `This session is ${status}.` })
    }
    return current
  }

  /**
   * {@link getUsable} for the Frontend API's token mints, which name their client by its token:
   * one read joins the client to the session. `signed_out` when the token names no client.
   */
  async getUsableByClientToken(id: string, clientToken: string): Promise<SessionRow> {
    const hash = sha256(clientToken)
    const s = await this.#usable.get(
      `${id} ${hash}`,
      () => repo.findSessionOfClientToken(this.d.db, id, hash),
      (row) => [`session:${id}`, `client:${row.client_id}`],
    )
    if (!s) {
      if (!(await this.d.services.clients.resolve(clientToken))) throw ApiError.of('signed_out')
      throw sessionNotFound(id)
    }
    return this.#active(s)
  }

  /** Records activity (at most once a minute, written in batches) and postpones abandonment. */
  async touch(s: SessionRow): Promise<SessionRow> {
    const now = this.d.clock.now()
    const current = this.#withActivity(s)
    if (now - current.last_active_at < ACTIVITY_WRITE_INTERVAL_MS) return current
    this.#activity.set(s.id, now)
    this.#flush ??= setTimeout(() => void this.flushActivity(), ACTIVITY_FLUSH_MS).unref()
    return this.#withActivity(s)
  }

  /** A session as this process knows it: with the activity it has seen but not yet written. */
  #withActivity(s: SessionRow): SessionRow {
    const at = this.#activity.get(s.id)
    if (at === undefined || at <= s.last_active_at) return s
    const abandonAt = at + inactivityMs(this.d.services.instance.lastSessionLifetimes())
    return { ...s, last_active_at: at, abandon_at: abandonAt, updated_at: at }
  }

  /** Writes the activity seen so far; on a timer, and when the server closes. */
  flushActivity(): Promise<void> {
    clearTimeout(this.#flush)
    this.#flush = undefined
    const batch = [...this.#activity]
    this.#activity.clear()
    const idleMs = inactivityMs(this.d.services.instance.lastSessionLifetimes())
    this.#flushing = this.#flushing.then(async () => {
      for (let i = 0; i < batch.length; i += ACTIVITY_BATCH) {
        const chunk = batch.slice(i, i + ACTIVITY_BATCH)
        try {
          await repo.recordActivity(this.d.db, chunk, idleMs)
        } catch (error) {
          this.d.log.warn({ err: error, sessions: chunk.length }, 'session activity not written')
        }
      }
    })
    return this.#flushing
  }

  /** Mints a session token for a usable session (of the client holding `clientToken`, if given). */
  async mintToken(
    id: string,
    opts: { clientToken?: string; origin?: string; ttlSeconds?: number },
  ): Promise<string> {
    const s = await this.touch(await this.#usableFor(id, opts.clientToken))
    // The Frontend API's mints are remembered for the client renderings that follow.
    if (opts.clientToken !== undefined && opts.ttlSeconds === undefined)
      return this.d.services.sessionTokens.mintForClient(s, opts.origin)
    return this.d.services.sessionTokens.mint(s, opts.origin, opts.ttlSeconds)
  }

  /** Mints a JWT-template token for a usable session (of the client holding `clientToken`, if given). */
  async mintTemplateToken(
    id: string,
    template: string,
    opts: { clientToken?: string; origin?: string },
  ): Promise<string> {
    const s = await this.touch(await this.#usableFor(id, opts.clientToken))
    // A template's token carries no `sts`: its consumers (Convex, …) could not tell a pending
    // session from a signed-in one, so it waits until the tasks are done.
    if (effectiveStatus(s, this.d.clock.now()) !== 'active') throw pendingRefused()
    return this.d.services.jwtTemplates.mint(s, template, opts.origin)
  }

  #usableFor(id: string, clientToken: string | undefined): Promise<SessionRow> {
    return clientToken === undefined
      ? this.getUsable(id)
      : this.getUsableByClientToken(id, clientToken)
  }

  /** `POST /v1/sessions` (Backend API): a session for a user on a new server-side client. */
  async createForUser(user: UserRow): Promise<SessionRow> {
    if (user.banned) throw ApiError.of('user_banned')
    // Before the transaction: the settings may be read from the database, and on SQLite the
    // transaction holds the one connection such a read would wait for.
    const tasks = await this.tasksFor(user)
    return this.d.db.transaction().execute(async (trx) => {
      const client = await this.d.services.clients.createRow(trx)
      const s = this.newRow(user.id, client.id, {}, tasks)
      await repo.insertSession(trx, s)
      await runWrite(trx, sessionEvent(this.d, 'session.created', s))
      await this.d.services.clients.setLastActiveSession(trx, client.id, s.id as SessionId)
      return s
    })
  }
}
