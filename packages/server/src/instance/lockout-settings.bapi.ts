import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import type { EnvironmentDefaults } from './instance.service.js'
import {
  effectiveLockout,
  LOCKOUT_ATTEMPTS_MAX,
  LOCKOUT_ATTEMPTS_MIN,
  LOCKOUT_SECONDS_MAX,
  LOCKOUT_SECONDS_MIN,
  type LockoutSettings,
} from './lockout-settings.js'

const UpdateLockout = z.strictObject({
  max_attempts: z
    .number()
    .int('must be a whole number')
    .min(LOCKOUT_ATTEMPTS_MIN, `must be at least ${LOCKOUT_ATTEMPTS_MIN}`)
    .max(LOCKOUT_ATTEMPTS_MAX, `must be at most ${LOCKOUT_ATTEMPTS_MAX}`)
    .nullable()
    .optional(),
  duration_in_seconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(LOCKOUT_SECONDS_MIN, `must be at least ${LOCKOUT_SECONDS_MIN} seconds (1 minute)`)
    .max(LOCKOUT_SECONDS_MAX, `must be at most ${LOCKOUT_SECONDS_MAX} seconds (30 days)`)
    .nullable()
    .optional(),
})

function lockoutJSON(config: EnvironmentDefaults, s: LockoutSettings) {
  const effective = effectiveLockout(config, s)
  return {
    object: 'user_lockout_settings' as const,
    enabled: true,
    max_attempts: effective.attempts,
    duration_in_seconds: effective.seconds,
    // As the environment (`attack_protection.user_lockout`) tells Clerk's components.
    duration_in_minutes: Math.ceil(effective.seconds / 60),
    // What the server's environment sets; a field above that is not overridden equals it.
    defaults: { max_attempts: config.lockoutAttempts, duration_in_seconds: config.lockoutSeconds },
    overridden: {
      max_attempts: s.max_attempts !== null,
      duration_in_seconds: s.duration_in_seconds !== null,
    },
  }
}

/**
 * Latchkey addition (Clerk keeps this in its dashboard under "Attack protection"; its Backend API
 * has no route for it; the names are those of the environment's `user_lockout`): consecutive
 * wrong passwords that lock an account, 1 to 1000, and for how long, a minute to 30 days. A
 * field left out keeps its value; `null` puts back the environment's. A new threshold counts
 * from the next wrong password on, failures already counted included.
 */
export function lockoutSettingsRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/instance/user_lockout',
    handler: async ({ services }) =>
      lockoutJSON(
        services.instance.environmentDefaults,
        (await services.instance.settings()).lockout,
      ),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/user_lockout',
    body: UpdateLockout,
    handler: async ({ body, services }) => {
      const config = services.instance.environmentDefaults
      const stored = (await services.instance.settings()).lockout
      const next: LockoutSettings = {
        max_attempts: body.max_attempts === undefined ? stored.max_attempts : body.max_attempts,
        duration_in_seconds:
          body.duration_in_seconds === undefined
            ? stored.duration_in_seconds
            : body.duration_in_seconds,
      }
      await services.instance.updateSettings({ lockout: next })
      return lockoutJSON(config, next)
    },
  })
}
