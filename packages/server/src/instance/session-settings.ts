import type { Config } from '../config/config.schema.js'
import { isObject } from '../lib/json.js'

/**
 * Session lifetimes set through the Backend API (`/v1/instance/session_settings`, issue #20),
 * as Clerk's dashboard has them under "Sessions": a maximum lifetime, and an inactivity timeout
 * that may be turned off. A field left `null` follows the server's environment
 * (`LATCHKEY_SESSION_LIFETIME`, `LATCHKEY_SESSION_INACTIVITY_TIMEOUT`); a value set here overrides
 * it. A new lifetime applies to sessions created after the change (a session's expiry is fixed
 * when it starts, as in Clerk); the inactivity timeout applies from a session's next activity.
 */
export type SessionSettings = {
  max_session_lifetime: number | null
  inactivity_timeout: number | null
  /** `false` turns the inactivity timeout off; `null` follows the environment (on). */
  inactivity_timeout_enabled: boolean | null
}

export const SESSION_SETTINGS_DEFAULTS: SessionSettings = {
  max_session_lifetime: null,
  inactivity_timeout: null,
  inactivity_timeout_enabled: null,
}

/** Clerk's bounds: from 5 minutes to 10 years. */
export const SESSION_LIFETIME_MIN = 5 * 60
export const SESSION_LIFETIME_MAX = 10 * 365 * 24 * 3600

/** What sessions are made with: seconds, and `null` for no inactivity timeout. */
export type SessionLifetimes = { lifetimeSeconds: number; inactivitySeconds: number | null }

export function effectiveSessionLifetimes(
  config: Pick<Config, 'sessionLifetimeSeconds' | 'sessionInactivitySeconds'>,
  s: SessionSettings | undefined,
): SessionLifetimes {
  return {
    lifetimeSeconds: s?.max_session_lifetime ?? config.sessionLifetimeSeconds,
    inactivitySeconds:
      s?.inactivity_timeout_enabled === false
        ? null
        : (s?.inactivity_timeout ?? config.sessionInactivitySeconds),
  }
}

/**
 * How far a session's `abandon_at` moves past its latest activity. With no timeout, as far as
 * any session can live, so it never comes before the session's expiry.
 */
export const inactivityMs = (l: SessionLifetimes): number =>
  (l.inactivitySeconds ?? SESSION_LIFETIME_MAX) * 1000

const seconds = (v: unknown, min: number, max: number): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null

export function readSessionSettings(raw: unknown): SessionSettings {
  const o = isObject(raw) ? raw : {}
  return {
    max_session_lifetime: seconds(
      o.max_session_lifetime,
      SESSION_LIFETIME_MIN,
      SESSION_LIFETIME_MAX,
    ),
    inactivity_timeout: seconds(o.inactivity_timeout, SESSION_LIFETIME_MIN, SESSION_LIFETIME_MAX),
    inactivity_timeout_enabled:
      typeof o.inactivity_timeout_enabled === 'boolean' ? o.inactivity_timeout_enabled : null,
  }
}
