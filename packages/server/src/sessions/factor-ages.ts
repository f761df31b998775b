import type { SessionRow } from '@latchkey/db'

/** When the session's first factor was last proved: at sign-in, or at a later step-up. */
export function firstFactorAt(s: Pick<SessionRow, 'first_factor_at' | 'created_at'>): number {
  return s.first_factor_at ?? s.created_at
}

/**
 * Clerk's `fva` and `factor_verification_age`: whole minutes since the first and the second
 * factor were proved, `-1` for a second factor never proved on this session.
 */
export function factorAges(
  s: Pick<SessionRow, 'first_factor_at' | 'second_factor_at' | 'created_at'>,
  now: number,
): [number, number] {
  const minutesSince = (at: number) => Math.max(0, Math.floor((now - at) / 60_000))
  const second = s.second_factor_at
  return [minutesSince(firstFactorAt(s)), second == null ? -1 : minutesSince(second)]
}
