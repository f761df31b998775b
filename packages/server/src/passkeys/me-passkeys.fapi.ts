import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import type { Services } from '../services.js'
import { Acting, actingSession } from '../users/acting-session.js'

const STEP_LIMIT = { max: 3, windowMs: 10_000 }
const PasskeyParams = z.object({ passkey_id: idParam('pk') })
const Attempt = z.object({
  strategy: z.literal('passkey').optional(),
  public_key_credential: z.string().max(32_768).optional(),
})
const Rename = z.object({ name: z.string().max(256) })

/** Passkeys are an instance setting (`first_factors.passkey`); off, none can be added. */
async function assertEnabled(services: Services): Promise<void> {
  if (!(await services.instance.settings()).first_factors.passkey) {
    throw ApiError.of('not_allowed_access', { longMessage: 'Passkeys are turned off.' })
  }
}

/**
 * The signed-in user's passkeys, Clerk's `/v1/me/passkeys` (clerk-js `user.createPasskey()`,
 * `passkey.update()`, `passkey.delete()`): creation options as the new passkey's
 * `verification.nonce`, the authenticator's attestation, the name, removal.
 */
export function mePasskeyRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/me/passkeys',
    query: Acting,
    rateLimit: STEP_LIMIT,
    // A passkey signs in past both factors: step-up first, when on. A factor the setup-mfa task
    // may set up, so a pending session may.
    sensitive: true,
    pendingSession: 'allowed',
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      await assertEnabled(services)
      return { response: await services.passkeys.create(s.user_id) }
    },
  })
  r.fapi({
    method: 'POST',
    path: '/v1/me/passkeys/:passkey_id/attempt_verification',
    query: Acting,
    params: PasskeyParams,
    body: Attempt,
    rateLimit: STEP_LIMIT,
    pendingSession: 'allowed',
    handler: async ({ query, params, body, client, services, device }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      await assertEnabled(services)
      const passkey = await services.passkeys.attemptVerification(
        s.user_id,
        params.passkey_id,
        body.public_key_credential,
        device,
      )
      return { response: passkey }
    },
  })
  r.fapi({
    method: 'GET',
    path: '/v1/me/passkeys/:passkey_id',
    query: Acting,
    params: PasskeyParams,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.passkeys.get(s.user_id, params.passkey_id) }
    },
  })
  r.fapi({
    method: 'PATCH',
    path: '/v1/me/passkeys/:passkey_id',
    query: Acting,
    params: PasskeyParams,
    body: Rename,
    handler: async ({ query, params, body, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.passkeys.rename(s.user_id, params.passkey_id, body.name) }
    },
  })
  r.fapi({
    method: 'DELETE',
    path: '/v1/me/passkeys/:passkey_id',
    query: Acting,
    params: PasskeyParams,
    sensitive: true,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.passkeys.remove(s.user_id, params.passkey_id) }
    },
  })
}
