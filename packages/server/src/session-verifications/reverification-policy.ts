import { ApiError } from '@latchkey/contracts'
import type { SessionRow } from '@latchkey/db'
import type { ReverificationSettings } from '../instance/reverification-settings.js'
import { firstFactorAt } from '../sessions/factor-ages.js'

/**
 * Whether the session proved its factors recently enough for a sensitive action (Clerk's
 * `checkReverificationAuthorization`, on the server): `first_factor` needs a fresh first factor
 * — or a fresh second one, since Clerk's UI asks a user who has one for that —, `second_factor`
 * the second factor, `multi_factor` both. A user without a second factor proves the first
 * (Clerk's fallback).
 */
export function isRecent(
  r: ReverificationSettings,
  session: SessionRow,
  /** Whether the user signs in with a second factor (sign-ins/sign-in-factors.ts). */
  secondFactor: boolean,
  now: number,
): boolean {
  const maxMs = r.max_age_minutes * 60_000
  const fresh = (at: number | null) => at !== null && now - at < maxMs
  const first = fresh(firstFactorAt(session))
  if (!secondFactor) return first
  const second = fresh(session.second_factor_at)
  if (r.level === 'first_factor') return first || second
  if (r.level === 'second_factor') return second
  return first && second
}

/** Clerk's reverification error: 403, which Clerk's `useReverification` turns into its prompt. */
export function reverificationRequired(r: ReverificationSettings): ApiError {
  return ApiError.of('session_reverification_required', {
    meta: { session_verification: { level: r.level, after_minutes: r.max_age_minutes } },
  })
}
