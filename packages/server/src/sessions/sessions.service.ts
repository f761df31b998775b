import { ApiError, newId, type SessionId } from '@latchkey/contracts'
import { type Database, RowCache, type SessionRow, type UserRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import type { ServiceDeps } from '../service-deps.js'
import { effectiveStatus, sessionToJSON } from './sessions.mapper.js'
import * as repo from './sessions.repository.js'

/**
 * Activity is written at most once a minute per session: a token mint every ~50 s from every
 * open tab must not be a database write each time (issue #6). The inactivity timeout is days,
 * so a minute of imprecision is immaterial.
 */
const ACTIVITY_WRITE_INTERVAL_MS = 60_000

/** Where a session was started: the request's User-Agent and client IP. */
export type Device = { userAgent?: string | undefined; ipAddress?: string | undefined }

export class SessionsService {
  private readonly d: ServiceDeps
  /** Sessions as token mints read them: each open tab mints about once a minute. */
  readonly #usable: RowCache<SessionRow>

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#usable = new RowCache(deps.changes)
  }

  /** Starts a session for a user on a client, noting the device it started on. */
  async create(
    trx: Kysely<Database> | Transaction<Database>,
    userId: string,
    clientId: string,
    device: Device = {},
  ): Promise<SessionRow> {
    const now = this.d.clock.now()
    const row: SessionRow = {
      id: newId('session'),
      client_id: clientId,
      user_id: userId,
      status: 'active',
      last_active_at: now,
      expire_at: now + this.d.config.sessionLifetimeSeconds * 1000,
      abandon_at: now + this.d.config.sessionInactivitySeconds * 1000,
      created_at: now,
      updated_at: now,
      user_agent: device.userAgent?.slice(0, 512) ?? null,
      ip_address: device.ipAddress?.slice(0, 64) ?? null,
    }
    await repo.insertSession(trx, row)
    return row
  }

  async get(id: string): Promise<SessionRow> {
    const s = await repo.findSession(this.d.db, id)
    if (!s)
      throw ApiError.of('resource_not_found', {
        longMessage: `No session was found with id ${id}.`,
      })
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

  /** Ends one session with a final status; only an active session can be ended. */
  async end(id: string, status: 'revoked' | 'ended' | 'removed'): Promise<SessionRow> {
    const s = await this.get(id)
    if (effectiveStatus(s, this.d.clock.now()) === 'active') {
      await repo.updateSession(this.d.db, id, { status, updated_at: this.d.clock.now() })
    }
    return this.get(id)
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await repo.endSessions(this.d.db, { userId }, 'revoked', this.d.clock.now())
  }

  /** Signs the user out everywhere but `keepId` (a password change from the profile). */
  async revokeOthersOfUser(userId: string, keepId: string): Promise<void> {
    await repo.endSessions(this.d.db, { userId, exceptId: keepId }, 'revoked', this.d.clock.now())
  }

  /** The user's sessions that can still be used, most recently active first. */
  async activeOfUser(userId: string): Promise<SessionRow[]> {
    const now = this.d.clock.now()
    const rows = await repo.listSessions(this.d.db, { userId, status: 'active' }, 100, 0)
    return rows
      .filter((s) => effectiveStatus(s, now) === 'active')
      .sort((a, b) => b.last_active_at - a.last_active_at)
  }

  async endAllOfClient(clientId: string, status: 'ended' | 'removed'): Promise<void> {
    await repo.endSessions(this.d.db, { clientId }, status, this.d.clock.now())
  }

  /**
   * The session if it may be used now (active, not expired or abandoned, and — from the Frontend
   * API — owned by the calling client). Otherwise a 4xx: `resource_not_found` for a session the
   * caller cannot see, `session_not_active` (401, which signs a browser out) for one that ended.
   */
  async getUsable(id: string, clientId?: string): Promise<SessionRow> {
    const s = await this.#usable.get(
      id,
      () => repo.findSession(this.d.db, id),
      () => [`session:${id}`],
    )
    if (!s || (clientId !== undefined && s.client_id !== clientId)) {
      throw ApiError.of('resource_not_found', {
        longMessage: `No session was found with id ${id}.`,
      })
    }
    const status = effectiveStatus(s, this.d.clock.now())
    if (status !== 'active') {
      throw ApiError.of('session_not_active', { longMessage: `This session is ${status}.` })
    }
    return s
  }

  /** Records activity (coalesced) and postpones the inactivity timeout. */
  async touch(s: SessionRow): Promise<SessionRow> {
    const now = this.d.clock.now()
    if (now - s.last_active_at < ACTIVITY_WRITE_INTERVAL_MS) return s
    const abandonAt = now + this.d.config.sessionInactivitySeconds * 1000
    await repo.touchSession(this.d.db, s.id, now, abandonAt, now - ACTIVITY_WRITE_INTERVAL_MS)
    return { ...s, last_active_at: now, abandon_at: abandonAt, updated_at: now }
  }

  /** Mints a session token for a usable session. */
  async mintToken(
    id: string,
    opts: { clientId?: string; origin?: string; ttlSeconds?: number },
  ): Promise<string> {
    const s = await this.touch(await this.getUsable(id, opts.clientId))
    return this.d.services.sessionTokens.mint(s, opts.origin, opts.ttlSeconds)
  }

  /** Mints a JWT-template token for a usable session. */
  async mintTemplateToken(
    id: string,
    template: string,
    opts: { clientId?: string; origin?: string },
  ): Promise<string> {
    const s = await this.touch(await this.getUsable(id, opts.clientId))
    return this.d.services.jwtTemplates.mint(s, template, opts.origin)
  }

  /** `POST /v1/sessions` (Backend API): a session for a user on a new server-side client. */
  async createForUser(user: UserRow): Promise<SessionRow> {
    if (user.banned) throw ApiError.of('user_banned')
    return this.d.db.transaction().execute(async (trx) => {
      const client = await this.d.services.clients.createRow(trx)
      const s = await this.create(trx, user.id, client.id)
      await this.d.services.clients.setLastActiveSession(trx, client.id, s.id as SessionId)
      return s
    })
  }
}
