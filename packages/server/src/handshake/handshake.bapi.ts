import * as z from 'zod'
import type { Router } from '../http/define-route.js'

/**
 * `GET /v1/clients/handshake_payload?nonce=…` (Backend API, `@clerk/backend`
 * `clients.getHandshakePayload`): the app's server trades the nonce the browser brought back for
 * the `Set-Cookie` values to set, `{ directives: [...] }`. Once per nonce.
 */
export function handshakePayloadRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/clients/handshake_payload',
    query: z.object({ nonce: z.string().min(1).max(256) }),
    handler: async ({ query, services }) => ({
      directives: await services.handshake.redeem(query.nonce),
    }),
  })
}
