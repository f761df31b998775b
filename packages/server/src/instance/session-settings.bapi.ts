import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import type { EnvironmentDefaults } from './instance.service.js'
import {
  effectiveSessionLifetimes,
  SESSION_LIFETIME_MAX,
  SESSION_LIFETIME_MIN,
  type SessionSettings,
} from './session-settings.js'

const duration = z
  .number()
  .int('must be a whole number of seconds')
  .min(SESSION_LIFETIME_MIN, `must be at least ${SESSION_LIFETIME_MIN} seconds (5 minutes)`)
  .max(SESSION_LIFETIME_MAX, `must be at most ${SESSION_LIFETIME_MAX} seconds (10 years)`)
  .nullable()
  .optional()

const UpdateSessionSettings = z.strictObject({
  max_session_lifetime: duration,
  inactivity_timeout: duration,
  inactivity_timeout_enabled: z.boolean().nullable().optional(),
})

function sessionSettingsJSON(config: EnvironmentDefaults, s: SessionSettings) {
  const effective = effectiveSessionLifetimes(config, s)
  return {
    object: 'session_settings' as const,
    max_session_lifetime: effective.lifetimeSeconds,
    inactivity_timeout_enabled: effective.inactivitySeconds !== null,
    inactivity_timeout: s.inactivity_timeout ?? config.sessionInactivitySeconds,
    // What the server's environment sets; a field above that is not overridden equals it.
    defaults: {
      max_session_lifetime: config.sessionLifetimeSeconds,
      inactivity_timeout: config.sessionInactivitySeconds,
    },
    overridden: {
      max_session_lifetime: s.max_session_lifetime !== null,
      inactivity_timeout: s.inactivity_timeout !== null || s.inactivity_timeout_enabled !== null,
    },
  }
}

/**
 * Latchkey addition (Clerk keeps these in its dashboard under "Sessions"; its Backend API has no
 * route for them): a session's maximum lifetime and its inactivity timeout, in seconds, each
 * from 5 minutes to 10 years, the timeout no longer than the lifetime (Clerk's rule) or off.
 * A field left out keeps its value; `null` puts back the environment's. A refused request
 * writes nothing.
 */
export function sessionSettingsRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/instance/session_settings',
    handler: async ({ services }) =>
      sessionSettingsJSON(
        services.instance.environmentDefaults,
        (await services.instance.settings()).sessions,
      ),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/session_settings',
    body: UpdateSessionSettings,
    handler: async ({ body, services }) => {
      const config = services.instance.environmentDefaults
      const stored = (await services.instance.settings()).sessions
      const next: SessionSettings = {
        max_session_lifetime:
          body.max_session_lifetime === undefined
            ? stored.max_session_lifetime
            : body.max_session_lifetime,
        inactivity_timeout:
          body.inactivity_timeout === undefined
            ? stored.inactivity_timeout
            : body.inactivity_timeout,
        inactivity_timeout_enabled:
          body.inactivity_timeout_enabled === undefined
            ? stored.inactivity_timeout_enabled
            : body.inactivity_timeout_enabled,
      }
      const effective = effectiveSessionLifetimes(config, next)
      // An inactivity timeout the environment alone sets may exceed a shorter lifetime (it then
      // never comes first); one set here may not, as in Clerk.
      const ownTimeout = next.inactivity_timeout !== null || next.inactivity_timeout_enabled
      if (
        ownTimeout &&
        effective.inactivitySeconds !== null &&
        effective.inactivitySeconds > effective.lifetimeSeconds
      ) {
        throw ApiError.of('form_param_value_invalid', {
          longMessage: `inactivity_timeout (${effective.inactivitySeconds} seconds) must not be longer than max_session_lifetime (${effective.lifetimeSeconds} seconds); shorten it or turn it off with inactivity_timeout_enabled: false.`,
          meta: { param_name: 'inactivity_timeout' },
        })
      }
      await services.instance.updateSettings({ sessions: next })
      return sessionSettingsJSON(config, next)
    },
  })
}
