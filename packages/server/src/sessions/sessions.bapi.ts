import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, listResponse, pageQuery } from '../http/params.js'

const SessionParams = z.object({ session_id: idParam('sess') })
const STATUSES = ['active', 'revoked', 'ended', 'expired', 'removed', 'abandoned'] as const

const ListSessions = z.object({
  user_id: idParam('user').optional(),
  client_id: idParam('client').optional(),
  status: z.enum(STATUSES).optional(),
  ...pageQuery(10),
})

/** Clerk's Backend API for sessions (bapi spec: Sessions). */
export function sessionRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/sessions',
    query: ListSessions,
    handler: async ({ query, services }) => {
      const filter = {
        ...(query.user_id ? { userId: query.user_id } : {}),
        ...(query.client_id ? { clientId: query.client_id } : {}),
        ...(query.status ? { status: query.status } : {}),
      }
      const rows = await services.sessions.list(filter, query.limit, query.offset)
      const data = rows.map((s) => services.sessions.toJSON(s))
      return listResponse(data, query.paginated, () => services.sessions.count(filter))
    },
  })

  r.bapi({
    method: 'POST',
    path: '/v1/sessions',
    body: z.strictObject({ user_id: idParam('user') }),
    handler: async ({ body, services }) => {
      const user = await services.users.getById(body.user_id)
      return services.sessions.toJSON(await services.sessions.createForUser(user))
    },
  })

  r.bapi({
    method: 'GET',
    path: '/v1/sessions/:session_id',
    params: SessionParams,
    handler: async ({ params, services }) =>
      services.sessions.toJSON(await services.sessions.get(params.session_id)),
  })

  r.bapi({
    method: 'POST',
    path: '/v1/sessions/:session_id/revoke',
    params: SessionParams,
    handler: async ({ params, services }) =>
      services.sessions.toJSON(await services.sessions.end(params.session_id, 'revoked')),
  })

  r.bapi({
    method: 'POST',
    path: '/v1/sessions/:session_id/tokens',
    params: SessionParams,
    body: z
      .strictObject({ expires_in_seconds: z.number().int().min(30).max(315_360_000).optional() })
      .optional(),
    handler: async ({ params, body, services }) => ({
      object: 'token',
      jwt: await services.sessions.mintToken(params.session_id, {
        ...(body?.expires_in_seconds ? { ttlSeconds: body.expires_in_seconds } : {}),
      }),
    }),
  })

  r.bapi({
    method: 'POST',
    path: '/v1/sessions/:session_id/tokens/:template_name',
    params: SessionParams.extend({ template_name: z.string().min(1).max(64) }),
    handler: async ({ params, services }) => ({
      object: 'token',
      jwt: await services.sessions.mintTemplateToken(params.session_id, params.template_name, {}),
    }),
  })
}
