import type { SessionRow } from '@latchkey/db'

/** Statuses a session can show (Clerk's). */
export type SessionStatus = 'active' | 'revoked' | 'ended' | 'expired' | 'removed' | 'abandoned'

/**
 * The status a session has now: a stored `active` session past its lifetime is `expired`, past
 * its inactivity timeout `abandoned`. Time-based states are derived, not written, so no sweeper
 * is needed.
 */
export function effectiveStatus(s: SessionRow, now: number): SessionStatus {
  if (s.status !== 'active') return s.status as SessionStatus
  if (now >= s.expire_at) return 'expired'
  if (now >= s.abandon_at) return 'abandoned'
  return 'active'
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
    latest_activity: null,
    expire_at: s.expire_at,
    abandon_at: s.abandon_at,
    created_at: s.created_at,
    updated_at: s.updated_at,
  }
}
