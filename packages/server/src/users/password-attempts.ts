import type { UserRow } from '@latchkey/db'

/**
 * How password checks are limited (DESIGN.md §7, security issue "Brute force and lockout
 * abuse"). Four rules, each answering one attack:
 *
 * 1. Per client IP, every route that checks a password shares one window: Clerk's 3 factor
 *    attempts per 10 s, so spreading guesses over sign-in, two-step sign-in, the hosted page
 *    and password change gains nothing.
 * 2. Per account, from the 5th consecutive failure on, password checks are refused (429) for a
 *    delay that doubles with each further failure — 1 s, 2 s, 4 s … capped at 15 minutes — and
 *    ends with a success. A guesser gets about a hundred tries a day, whatever its IPs.
 * 3. Per account, `LATCHKEY_LOCKOUT_ATTEMPTS` (100, Clerk's default) consecutive failures lock
 *    it for `LATCHKEY_LOCKOUT_SECONDS` (403 `user_locked`).
 * 4. A known device — a client (`__client`) that has held a session of the user — is exempt
 *    from 2 and 3 (not from an admin's lock), so a stranger's guessing cannot lock the owner
 *    out. Its failures still count, and it loses the exemption once it has failed 5 times on
 *    the account within an hour itself: a stolen cookie is not a licence to guess.
 */
export const PASSWORD_CHECKS_PER_IP = { max: 3, windowMs: 10_000 }

/** Consecutive failures from which the account makes further attempts wait. */
export const THROTTLE_FROM = 5
const THROTTLE_BASE_MS = 1_000
/** The longest wait between two attempts on an account. */
export const THROTTLE_CAP_MS = 15 * 60_000

/** Failures a known device may make on an account within the window and stay exempt. */
export const KNOWN_DEVICE_FAILURES = { max: 5, windowMs: 3_600_000 }

/** How long an account refuses password checks after its `failures`-th consecutive failure. */
export function throttleDelayMs(failures: number): number {
  if (failures < THROTTLE_FROM) return 0
  return Math.min(THROTTLE_CAP_MS, THROTTLE_BASE_MS * 2 ** (failures - THROTTLE_FROM))
}

/** Seconds before the account checks a password again, or null when it would now. */
export function throttledFor(u: UserRow, now: number): number | null {
  return u.throttled_until !== null && u.throttled_until > now
    ? Math.ceil((u.throttled_until - now) / 1000)
    : null
}
