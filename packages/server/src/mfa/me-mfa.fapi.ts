import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { Acting, actingSession } from '../users/acting-session.js'

const STEP_LIMIT = { max: 3, windowMs: 10_000 }
// Clerk's spec names only `code` (a TOTP is 6 digits; anything longer is refused as incorrect).
const Attempt = z.object({ code: z.string().min(1).max(32) })

/**
 * The signed-in user's second factors (issue #17), Clerk's `/v1/me/totp` and
 * `/v1/me/backup_codes`: set up an authenticator app, prove it with a code (which turns TOTP on
 * and answers the first backup codes), remove it, and replace the backup codes. Removing and
 * replacing ask for a recent step-up when the operator turned reverification on.
 */
export function meMfaRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/me/totp',
    query: Acting,
    rateLimit: STEP_LIMIT,
    // A new authenticator is a new second factor: step-up first, when on. The setup-mfa task's
    // own step, so a pending session may.
    sensitive: true,
    pendingSession: 'allowed',
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.mfa.createTotp(s.user_id) }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/me/totp/attempt_verification',
    query: Acting,
    body: Attempt,
    rateLimit: STEP_LIMIT,
    pendingSession: 'allowed',
    handler: async ({ query, body, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.mfa.verifyTotp(s.user_id, body.code, s.id) }
    },
  })

  r.fapi({
    method: 'DELETE',
    path: '/v1/me/totp',
    query: Acting,
    sensitive: true,
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.mfa.removeOwnTotp(s.user_id) }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/me/backup_codes',
    query: Acting,
    rateLimit: STEP_LIMIT,
    sensitive: true,
    pendingSession: 'allowed',
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.mfa.regenerateBackupCodes(s.user_id) }
    },
  })
}
