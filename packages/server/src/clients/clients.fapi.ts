import type { Router } from '../http/define-route.js'

/** `GET /v1/client` and `DELETE /v1/client` (sign out of everything on this browser). */
export function clientRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/client',
    handler: async ({ client, services, origin }) => ({
      response: client ? await services.render.client(client, origin) : null,
    }),
  })
  r.fapi({
    method: 'DELETE',
    path: '/v1/client',
    handler: async ({ client, services }) => {
      if (client) await services.clients.destroy(client.id)
      return { response: null, clientId: null }
    },
  })
}
