import type { Config } from '../config/config.schema.js'
import { isObject } from '../lib/json.js'

/**
 * Account lockout set through the Backend API (`/v1/instance/user_lockout`, issue #20; the names
 * are those of Clerk's `attack_protection.user_lockout`): after `max_attempts` consecutive wrong
 * passwords the account is locked for `duration_in_seconds`, which is also how long second
 * factors are locked after 10 wrong codes. A field left `null` follows the server's environment
 * (`LATCHKEY_LOCKOUT_ATTEMPTS`, `LATCHKEY_LOCKOUT_SECONDS`); a value set here overrides it.
 */
export type LockoutSettings = {
  max_attempts: number | null
  duration_in_seconds: number | null
}

export const LOCKOUT_SETTINGS_DEFAULTS: LockoutSettings = {
  max_attempts: null,
  duration_in_seconds: null,
}

/** The environment's own bounds for attempts; a lock of one minute to 30 days. */
export const LOCKOUT_ATTEMPTS_MIN = 1
export const LOCKOUT_ATTEMPTS_MAX = 1000
export const LOCKOUT_SECONDS_MIN = 60
export const LOCKOUT_SECONDS_MAX = 30 * 24 * 3600

export type Lockout = { attempts: number; seconds: number }

export function effectiveLockout(
  config: Pick<Config, 'lockoutAttempts' | 'lockoutSeconds'>,
  s: LockoutSettings | undefined,
): Lockout {
  return {
    attempts: s?.max_attempts ?? config.lockoutAttempts,
    seconds: s?.duration_in_seconds ?? config.lockoutSeconds,
  }
}

const within = (v: unknown, min: number, max: number): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null

export function readLockoutSettings(raw: unknown): LockoutSettings {
  const o = isObject(raw) ? raw : {}
  return {
    max_attempts: within(o.max_attempts, LOCKOUT_ATTEMPTS_MIN, LOCKOUT_ATTEMPTS_MAX),
    duration_in_seconds: within(o.duration_in_seconds, LOCKOUT_SECONDS_MIN, LOCKOUT_SECONDS_MAX),
  }
}
