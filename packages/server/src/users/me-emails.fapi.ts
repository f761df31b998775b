import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { emailField, idParam } from '../http/params.js'
import { Acting, actingSession } from './acting-session.js'

const EmailParams = z.object({ email_id: idParam('idn') })
const STEP_LIMIT = { max: 3, windowMs: 10_000 }
const Create = z.object({ email_address: emailField })
const Prepare = z.object({
  strategy: z.string().min(1).max(64),
  redirect_url: z.string().max(2048).optional(),
})
// Clerk's spec names only `code`; clerk-js sends no strategy here.
const Attempt = z.object({
  code: z.string().min(1).max(32),
  strategy: z.string().max(64).optional(),
})

/**
 * The signed-in user's email addresses (Clerk's `/v1/me/email_addresses`): list, read, add one
 * (unverified), prove it with a code or a link (issue #16), remove one. The primary is chosen
 * with `PATCH /v1/me` (me.fapi.ts), among verified addresses only.
 */
export function meEmailRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/me/email_addresses',
    query: Acting,
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.userEmails.listJSON(s.user_id), bare: true }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/me/email_addresses/:email_id',
    query: Acting,
    params: EmailParams,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: await services.userEmails.toJSON(s.user_id, params.email_id) }
    },
  })

  // clerk-js's `user.createEmailAddress()` posts to `/v1/me/email_addresses/` (a trailing
  // slash: its resource path for a new child); Clerk's API takes both spellings.
  for (const path of ['/v1/me/email_addresses', '/v1/me/email_addresses/']) {
    r.fapi({
      method: 'POST',
      path,
      query: Acting,
      body: Create,
      rateLimit: STEP_LIMIT,
      // A new address is a new way in (codes, links, recovery): step-up first, when on.
      sensitive: true,
      handler: async ({ query, body, client, services }) => {
        const s = await actingSession(services, client, query._clerk_session_id)
        const row = await services.userEmails.add(s.user_id, body.email_address)
        return { response: await services.userEmails.toJSON(s.user_id, row.id) }
      },
    })
  }

  r.fapi({
    method: 'POST',
    path: '/v1/me/email_addresses/:email_id/prepare_verification',
    query: Acting,
    params: EmailParams,
    body: Prepare,
    rateLimit: STEP_LIMIT,
    handler: async ({ query, params, body, client, services, device }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      await services.userEmails.prepareVerification(
        s.user_id,
        params.email_id,
        { strategy: body.strategy, redirectUrl: body.redirect_url, clientId: s.client_id },
        device,
      )
      return { response: await services.userEmails.toJSON(s.user_id, params.email_id) }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/me/email_addresses/:email_id/attempt_verification',
    query: Acting,
    params: EmailParams,
    body: Attempt,
    rateLimit: STEP_LIMIT,
    handler: async ({ query, params, body, client, services, device }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      if (body.strategy !== undefined && body.strategy !== 'email_code')
        services.verifications.strategy(body.strategy, ['email_code'])
      await services.userEmails.attemptVerification(
        s.user_id,
        params.email_id,
        { code: body.code, clientId: s.client_id },
        device,
      )
      return { response: await services.userEmails.toJSON(s.user_id, params.email_id) }
    },
  })

  r.fapi({
    method: 'DELETE',
    path: '/v1/me/email_addresses/:email_id',
    query: Acting,
    params: EmailParams,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      await services.userEmails.remove(s.user_id, params.email_id)
      return { response: { object: 'email_address', id: params.email_id, deleted: true } }
    },
  })
}
