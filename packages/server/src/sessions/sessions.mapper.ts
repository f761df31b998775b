import type { SessionRow } from '@latchkey/db'
import { sessionTasks } from './session-tasks.js'

/** Statuses a session can show (Clerk's). */
export type SessionStatus =
  | 'active'
  | 'pending'
  | 'revoked'
  | 'ended'
  | 'expired'
  | 'removed'
  | 'abandoned'

/**
 * The status a session has now: a stored `active` session past its lifetime is `expired`, past
 * its inactivity timeout `abandoned`, and with tasks still to do `pending` (Clerk's session
 * tasks). Time-based states are derived, not written, so no sweeper is needed.
 */
export function effectiveStatus(s: SessionRow, now: number): SessionStatus {
  if (s.status !== 'active') return s.status as SessionStatus
  if (now >= s.expire_at) return 'expired'
  if (now >= s.abandon_at) return 'abandoned'
  return s.tasks ? 'pending' : 'active'
}

/** A session still in use: active, or pending its tasks (it can be touched, ended, revoked). */
export const isLive = (status: SessionStatus) => status === 'active' || status === 'pending'

/** Clerk's `tasks` of a session: `[{ key }]`, or null when there is none. */
export function tasksJSON(s: SessionRow): { key: string }[] | null {
  const tasks = sessionTasks(s)
  return tasks.length > 0 ? tasks.map((key) => ({ key })) : null
}

/** A session in the Backend API's shape. */
export function sessionToJSON(s: SessionRow, now: number) {
  return {
    object: 'session' as const,
    id: s.id,
    client_id: s.client_id,
    user_id: s.user_id,
    status: effectiveStatus(s, now),
    last_active_at: s.last_active_at,
    last_active_organization_id: null,
    actor: null,
    tasks: tasksJSON(s),
    latest_activity: null,
    expire_at: s.expire_at,
    abandon_at: s.abandon_at,
    created_at: s.created_at,
    updated_at: s.updated_at,
  }
}
