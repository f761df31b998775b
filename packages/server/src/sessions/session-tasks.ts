import type { SessionRow } from '@latchkey/db'

/** Clerk's session task keys Latchkey sets (`SessionTask['key']`). */
export type SessionTaskKey = 'setup-mfa'

/** The session's tasks still to do, in order (stored comma-separated, migration 0022). */
export function sessionTasks(s: Pick<SessionRow, 'tasks'>): SessionTaskKey[] {
  return s.tasks ? (s.tasks.split(',') as SessionTaskKey[]) : []
}

/** A user's second-factor flags, as stored (or about to be). */
type Factors = { totp_enabled?: number | undefined; backup_code_enabled?: number | undefined }

/** Whether the user has enrolled any second factor (TOTP, backup codes). */
export function hasSecondFactor(user: Factors): boolean {
  return Number(user.totp_enabled) === 1 || Number(user.backup_code_enabled) === 1
}

/**
 * The tasks a new session starts with. With "Require multi-factor authentication" on, a user
 * without a second factor must set one up (Clerk's `setup-mfa`) before the session is active.
 */
export function tasksAtSignIn(mfaRequired: boolean, user: Factors): string | null {
  return mfaRequired && !hasSecondFactor(user) ? 'setup-mfa' : null
}
