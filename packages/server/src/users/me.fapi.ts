import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import {
  boolish,
  idParam,
  metadataField,
  nameField,
  nullIfBlank,
  usernameField,
} from '../http/params.js'
import { assertPasswordAllowed } from '../lib/password-policy.js'
import type { Services } from '../services.js'
import { sessionActivity } from '../sessions/session-activity.js'
import { Acting, actingSession } from './acting-session.js'
import { passwordRefusal } from './password-checks.js'

/**
 * Clerk's `PATCH /v1/me` (fapi spec `patchUser`): a blank field clears it (Clerk's profile form
 * sends the names the user emptied, its username form an emptied username); an absent one is
 * left alone.
 */
const UpdateMe = z.strictObject({
  first_name: nullIfBlank(nameField),
  last_name: nullIfBlank(nameField),
  username: nullIfBlank(usernameField),
  primary_email_address_id: idParam('idn').optional(),
})

const ChangePassword = z.object({
  current_password: z.string().max(1024).optional(),
  new_password: z.string().max(1024),
  sign_out_of_other_sessions: boolish.optional(),
})

/** A user left with neither username nor email address could never sign in again. */
async function assertKeepsAnIdentifier(services: Services, userId: string): Promise<void> {
  const { emails } = await services.users.withEmails(userId)
  if (emails.length > 0) return
  throw ApiError.of('form_param_nil', {
    longMessage: 'The username is the only way to sign in to this account; it cannot be removed.',
    meta: { param_name: 'username' },
  })
}

/**
 * The signed-in user managing their own account (Clerk's `/v1/me`): read and edit the profile,
 * change the password, list and revoke sessions on other devices.
 */
export function meRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/me',
    query: Acting,
    pendingSession: 'allowed',
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return {
        response: await services.users.toJSON(await services.users.getById(s.user_id), false),
      }
    },
  })

  r.fapi({
    method: 'PATCH',
    path: '/v1/me',
    query: Acting,
    body: UpdateMe,
    // The primary address receives the codes of every email factor: step-up, when on.
    sensitive: ({ body }) => body.primary_email_address_id !== undefined,
    handler: async ({ query, body, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      if (body.username === null) await assertKeepsAnIdentifier(services, s.user_id)
      if (body.primary_email_address_id) {
        await services.userEmails.assertMayBePrimary(s.user_id, body.primary_email_address_id)
      }
      const user = await services.users.update(s.user_id, {
        primaryEmailAddressId: body.primary_email_address_id,
        firstName: body.first_name,
        lastName: body.last_name,
        username: body.username,
      })
      return { response: await services.users.toJSON(user, false) }
    },
  })

  // Clerk's `user.delete()`: the account and every session of it end; this browser is signed
  // out (the client that comes back has no session of the user).
  r.fapi({
    method: 'DELETE',
    path: '/v1/me',
    query: Acting,
    sensitive: true,
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      if (!(await services.instance.settings()).delete_self_enabled)
        throw ApiError.of('delete_self_not_enabled')
      await services.users.delete(s.user_id)
      await services.clients.refreshLastActive(s.client_id)
      return { response: { object: 'user', id: s.user_id, deleted: true } }
    },
  })

  // Clerk's `user.updateMetadata({ unsafeMetadata })` (and clerk-js 6's `user.update` with
  // unsafe metadata): a deep merge where null removes a key.
  r.fapi({
    method: 'PATCH',
    path: '/v1/me/metadata',
    query: Acting,
    body: z.strictObject({ unsafe_metadata: metadataField }),
    handler: async ({ query, body, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      const user = await services.users.mergeMetadata(s.user_id, {
        unsafeMetadata: body.unsafe_metadata,
      })
      return { response: await services.users.toJSON(user, false) }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/me/change_password',
    query: Acting,
    body: ChangePassword,
    rateLimit: { max: 3, windowMs: 10_000 },
    sensitive: true,
    handler: async ({ query, body, client, services, device, reverified: policy }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      // With reverification on, a step-up of this session proves the user instead of the
      // current password (Clerk's UI then sends none) — a real one, not the sign-in's freshness:
      // a session minutes old from an email code or a stolen cookie proved no password.
      // Without one, Clerk's reverification error asks for it; a password that is sent is
      // still checked.
      const user = await services.users.getById(s.user_id)
      assertPasswordAllowed(body.new_password, 'new_password')
      const waived =
        policy &&
        body.current_password === undefined &&
        user.password_digest !== null &&
        (await services.sessionVerifications.requireSteppedUp(s))
      if (user.password_digest !== null && !waived) {
        if (!body.current_password) {
          throw ApiError.of('form_param_missing', { meta: { param_name: 'current_password' } })
        }
        // Limited and counted like a sign-in (the same per-IP window, the account's delay and
        // lockout): a stolen session cannot guess the password faster than a stranger.
        const check = await services.users.checkPassword(user, body.current_password, {
          clientId: s.client_id,
          ipAddress: device.ipAddress,
        })
        if (!check.ok) {
          throw check.code === 'form_password_incorrect'
            ? ApiError.of('form_password_validation_failed', {
                longMessage: 'The current password is incorrect.',
                meta: { param_name: 'current_password' },
              })
            : passwordRefusal(check)
        }
      }
      // The change, its user.updated and the other sessions' revocations are one transaction;
      // the applications the user signed in to are other devices too (ended by update).
      const updated = await services.users.update(user.id, {
        password: body.new_password,
        signOutOfOtherSessions: body.sign_out_of_other_sessions === true,
        keepSessionId: s.id,
      })
      return { response: await services.users.toJSON(updated, false) }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/me/sessions/active',
    query: Acting,
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      const sessions = await services.sessions.activeOfUser(s.user_id)
      return {
        response: sessions.map((x) => ({
          ...services.sessions.toJSON(x),
          object: 'session' as const,
          latest_activity: sessionActivity(x),
        })),
        bare: true,
      }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/me/sessions/:session_id/revoke',
    query: Acting,
    params: z.object({ session_id: idParam('sess') }),
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      const target = await services.sessions.find(params.session_id)
      // Another user's session is indistinguishable from one that does not exist.
      if (!target || target.user_id !== s.user_id) {
        throw ApiError.of('resource_not_found', {
          longMessage: `No session was found with id ${params.session_id}.`,
        })
      }
      const revoked = await services.sessions.end(target.id, 'revoked')
      return { response: services.sessions.toJSON(revoked) }
    },
  })
}
