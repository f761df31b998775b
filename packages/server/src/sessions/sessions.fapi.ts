import { ApiError, type SessionId } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'

const SessionParams = z.object({ session_id: idParam('sess') })

function requireClient<T>(client: T | undefined): T {
  if (!client) throw ApiError.of('signed_out')
  return client
}

/** Frontend API session calls: touch, tokens, sign out one or all. */
export function fapiSessionRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/touch',
    params: SessionParams,
    handler: async ({ params, client, services, origin }) => {
      const c = requireClient(client)
      const s = await services.sessions.touch(
        await services.sessions.getUsable(params.session_id, c.id),
      )
      // Touching a session makes it the browser's active one (Clerk's `setActive`).
      if (c.last_active_session_id !== s.id)
        await services.clients.setLastActiveSession(services.clients.db, c.id, s.id as SessionId)
      return { response: await services.render.session(s, origin) }
    },
  })

  // Token minting is deliberately not rate limited per IP: many users share one NAT, and every
  // open tab mints about once a minute. The hottest route: its client and session are one read.
  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/tokens',
    params: SessionParams,
    resolveClient: false,
    handler: async ({ params, clientToken, services, origin }) => {
      const jwt = await services.sessions.mintToken(params.session_id, {
        clientToken: requireClient(clientToken),
        ...(origin ? { origin } : {}),
      })
      return { response: { object: 'token', jwt }, bare: true }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/tokens/:template_name',
    params: SessionParams.extend({ template_name: z.string().min(1).max(64) }),
    resolveClient: false,
    handler: async ({ params, clientToken, services, origin }) => {
      const jwt = await services.sessions.mintTemplateToken(
        params.session_id,
        params.template_name,
        {
          clientToken: requireClient(clientToken),
          ...(origin ? { origin } : {}),
        },
      )
      return { response: { object: 'token', jwt }, bare: true }
    },
  })

  for (const [action, status] of [
    ['remove', 'removed'],
    ['end', 'ended'],
  ] as const) {
    r.fapi({
      method: 'POST',
      path: `/v1/client/sessions/:session_id/${action}`,
      params: SessionParams,
      handler: async ({ params, client, services, origin }) => {
        const c = requireClient(client)
        const s = await services.sessions.find(params.session_id)
        if (!s || s.client_id !== c.id) {
          throw ApiError.of('resource_not_found', {
            longMessage: `No session was found with id ${params.session_id}.`,
          })
        }
        const ended = await services.sessions.end(s.id, status)
        await services.clients.refreshLastActive(c.id)
        return { response: await services.render.session(ended, origin) }
      },
    })
  }

  r.fapi({
    method: 'DELETE',
    path: '/v1/client/sessions',
    handler: async ({ client, services }) => {
      const c = requireClient(client)
      await services.sessions.endAllOfClient(c.id, 'ended')
      await services.clients.refreshLastActive(c.id)
      return { response: null }
    },
  })
}
