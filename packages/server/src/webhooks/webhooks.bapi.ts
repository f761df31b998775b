import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, intFromString, nameField } from '../http/params.js'
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js'
import { endpointJSON } from './webhooks.service.js'

const EndpointParams = z.object({ endpoint_id: idParam('whe') })
const eventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length)
const url = z.string().trim().min(1).max(2048)
const CreateEndpoint = z.strictObject({
  url,
  description: nameField.optional(),
  event_types: eventTypes.nullable().optional(),
  enabled: z.boolean().optional(),
})
const UpdateEndpoint = z.strictObject({
  url: url.optional(),
  description: nameField.optional(),
  event_types: eventTypes.nullable().optional(),
  enabled: z.boolean().optional(),
})
const Replay = z.union([
  z.strictObject({ event_id: idParam('msg') }),
  z.strictObject({ since: z.number().int().min(0).max(8_640_000_000_000_000) }),
])
const ListDeliveries = z.object({
  limit: intFromString(1, 500).default(50),
  offset: intFromString(0, 10_000_000).default(0),
  status: z.enum(['pending', 'succeeded', 'failed']).optional(),
  event_id: idParam('msg').optional(),
})

const input = (b: z.infer<typeof UpdateEndpoint>) => ({
  url: b.url,
  description: b.description,
  eventTypes: b.event_types,
  enabled: b.enabled,
})

/**
 * `/v1/webhooks/…` (a Latchkey addition, docs/API.md: Clerk hands endpoint management to Svix's
 * portal). Endpoints, their signing secrets, deliveries with their attempts, replay, a test
 * event, and the delivery lag.
 */
export function webhookRoutes(r: Router): void {
  const path = '/v1/webhooks/endpoints/:endpoint_id'
  r.bapi({
    method: 'POST',
    path: '/v1/webhooks/endpoints',
    body: CreateEndpoint,
    handler: async ({ body, services }) => {
      const { row, secret } = await services.webhooks.create(input(body))
      return { ...endpointJSON(row), secret }
    },
  })
  r.bapi({
    method: 'GET',
    path: '/v1/webhooks/endpoints',
    handler: async ({ services }) => (await services.webhooks.list()).map(endpointJSON),
  })
  r.bapi({
    method: 'GET',
    path,
    params: EndpointParams,
    handler: async ({ params, services }) =>
      endpointJSON(await services.webhooks.get(params.endpoint_id)),
  })
  r.bapi({
    method: 'PATCH',
    path,
    params: EndpointParams,
    body: UpdateEndpoint,
    handler: async ({ params, body, services }) =>
      endpointJSON(await services.webhooks.update(params.endpoint_id, input(body))),
  })
  r.bapi({
    method: 'DELETE',
    path,
    params: EndpointParams,
    handler: async ({ params, services }) => {
      await services.webhooks.delete(params.endpoint_id)
      return { object: 'webhook_endpoint', id: params.endpoint_id, deleted: true }
    },
  })
  r.bapi({
    method: 'GET',
    path: `${path}/secret`,
    params: EndpointParams,
    handler: async ({ params, services }) => ({
      object: 'webhook_endpoint_secret',
      endpoint_id: params.endpoint_id,
      secret: await services.webhooks.secret(params.endpoint_id),
    }),
  })
  r.bapi({
    method: 'POST',
    path: `${path}/rotate_secret`,
    params: EndpointParams,
    handler: async ({ params, services }) => {
      const { row, secret } = await services.webhooks.rotateSecret(params.endpoint_id)
      return { ...endpointJSON(row), secret }
    },
  })
  r.bapi({
    method: 'POST',
    path: `${path}/test`,
    params: EndpointParams,
    handler: async ({ params, services }) => {
      const sent = await services.webhooks.sendTest(params.endpoint_id)
      return {
        object: 'webhook_test',
        endpoint_id: params.endpoint_id,
        event_id: sent.eventId,
        delivery_id: sent.deliveryId,
      }
    },
  })
  r.bapi({
    method: 'POST',
    path: `${path}/replay`,
    params: EndpointParams,
    body: Replay,
    handler: async ({ params, body, services }) => ({
      object: 'webhook_replay',
      endpoint_id: params.endpoint_id,
      deliveries: await services.webhooks.replay(
        params.endpoint_id,
        'event_id' in body ? { eventId: body.event_id } : { since: body.since },
      ),
    }),
  })
  r.bapi({
    method: 'GET',
    path: `${path}/deliveries`,
    params: EndpointParams,
    query: ListDeliveries,
    handler: async ({ params, query, services }) =>
      services.webhooks.deliveries(params.endpoint_id, {
        limit: query.limit,
        offset: query.offset,
        status: query.status,
        eventId: query.event_id,
      }),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/webhooks/stats',
    handler: ({ services }) => services.webhooks.stats(),
  })
}
