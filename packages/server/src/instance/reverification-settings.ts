import { isObject } from '../lib/json.js'

/** Clerk's reverification levels (`SessionVerificationLevel`). */
export const REVERIFICATION_LEVELS = ['first_factor', 'second_factor', 'multi_factor'] as const
export type ReverificationLevel = (typeof REVERIFICATION_LEVELS)[number]

/**
 * Step-up for sensitive account actions (issue #17 item 4; Clerk's "reverification"): when on,
 * changing the password, removing TOTP, replacing backup codes and deleting the account need the
 * session's factors proved within `max_age_minutes` at `level`, else Clerk's
 * `session_reverification_required`. Off by default, as in a new Clerk instance.
 */
export type ReverificationSettings = {
  enabled: boolean
  max_age_minutes: number
  level: ReverificationLevel
}

/** Clerk's `strict` preset: ten minutes, the second factor when the user has one. */
export const REVERIFICATION_DEFAULTS: ReverificationSettings = {
  enabled: false,
  max_age_minutes: 10,
  level: 'second_factor',
}

/** The longest a verification may count as recent: a week, in minutes. */
export const REVERIFICATION_MAX_AGE_LIMIT = 7 * 24 * 60

export function readReverificationSettings(raw: unknown): ReverificationSettings {
  const o = isObject(raw) ? raw : {}
  const age = o.max_age_minutes
  const level = REVERIFICATION_LEVELS.find((l) => l === o.level)
  return {
    enabled: o.enabled === true,
    max_age_minutes:
      typeof age === 'number' && Number.isInteger(age) && age >= 1
        ? Math.min(age, REVERIFICATION_MAX_AGE_LIMIT)
        : REVERIFICATION_DEFAULTS.max_age_minutes,
    level: level ?? REVERIFICATION_DEFAULTS.level,
  }
}
