import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import { connectionJSON } from './oauth-connections.service.js'

const ConnectionParams = z.object({ oauth_connection_id: idParam('oac') })
const fields = {
  issuer: z.string().trim().min(1).max(1024).optional(),
  client_id: z.string().trim().min(1).max(512).optional(),
  client_secret: z.string().min(1).max(4096).optional(),
  scopes: z.string().trim().max(1024).optional(),
  enabled: z.boolean().optional(),
  team_id: z.string().trim().min(1).max(64).optional(),
  key_id: z.string().trim().min(1).max(64).optional(),
  private_key: z.string().min(1).max(8192).optional(),
  endpoint_base_url: z.string().trim().min(1).max(1024).nullable().optional(),
}
const CreateConnection = z.strictObject({ provider: z.string().trim().min(1).max(64), ...fields })
const UpdateConnection = z.strictObject(fields)

const input = (b: z.infer<typeof UpdateConnection>) => ({
  issuer: b.issuer,
  clientId: b.client_id,
  clientSecret: b.client_secret,
  scopes: b.scopes,
  enabled: b.enabled,
  teamId: b.team_id,
  keyId: b.key_id,
  privateKey: b.private_key,
  endpointBaseUrl: b.endpoint_base_url,
})

/**
 * `/v1/oauth_connections` (a Latchkey addition: Clerk keeps social connections in its
 * dashboard): the operator's upstream providers, one per provider key (`providers/`). The
 * client secret (Apple: the private key) is written, never read back.
 */
export function oauthConnectionRoutes(r: Router): void {
  r.bapi({
    method: 'POST',
    path: '/v1/oauth_connections',
    body: CreateConnection,
    handler: async ({ body, services }) =>
      connectionJSON(
        await services.oauthConnections.create({ provider: body.provider, ...input(body) }),
      ),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/oauth_connections',
    handler: async ({ services }) => (await services.oauthConnections.list()).map(connectionJSON),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/oauth_connections/:oauth_connection_id',
    params: ConnectionParams,
    handler: async ({ params, services }) =>
      connectionJSON(await services.oauthConnections.get(params.oauth_connection_id)),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/oauth_connections/:oauth_connection_id',
    params: ConnectionParams,
    body: UpdateConnection,
    handler: async ({ params, body, services }) =>
      connectionJSON(
        await services.oauthConnections.update(params.oauth_connection_id, input(body)),
      ),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/oauth_connections/:oauth_connection_id',
    params: ConnectionParams,
    handler: async ({ params, services }) => {
      await services.oauthConnections.delete(params.oauth_connection_id)
      return { object: 'oauth_connection', id: params.oauth_connection_id, deleted: true }
    },
  })
}
