import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import { Acting, actingSession } from './acting-session.js'
import { emailToJSON } from './users.mapper.js'

const EmailParams = z.object({ email_id: idParam('idn') })

/**
 * The signed-in user's email addresses (Clerk's `/v1/me/email_addresses`): list, read one,
 * remove one. Adding one is `POST`, which Clerk follows with its verification; that is #16.
 */
export function meEmailRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/me/email_addresses',
    query: Acting,
    handler: async ({ query, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: (await services.userEmails.list(s.user_id)).map(emailToJSON), bare: true }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/me/email_addresses/:email_id',
    query: Acting,
    params: EmailParams,
    handler: async ({ query, params, client, services }) => {
      const s = await actingSession(services, client, query._clerk_session_id)
      return { response: emailToJSON(await services.userEmails.get(s.user_id, params.email_id)) }
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
