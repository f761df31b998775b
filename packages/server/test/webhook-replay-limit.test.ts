import { writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19 item 4: `replay { since }` resends at most 10,000 events, and the limit counts only
 * the types the endpoint takes. It once took the first 10,000 events of any type and filtered
 * after: the events of other types written since pushed the endpoint's own out of the replay
 * (the bench's burst lost the last two of 10,000 to the two user.created before it).
 */
describe.each(DIALECTS)('webhook replay since a time (%s)', (dialect) => {
  let server: TestServer
  let receiver: WebhookReceiver

  beforeAll(async () => {
    receiver = await WebhookReceiver.start()
    server = await createTestServer(dialect, { env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on' } })
  })
  afterAll(async () => {
    await server?.close()
    await receiver?.stop()
  })

  const bapi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('counts only the types the endpoint takes toward its 10,000', async () => {
    const made = await bapi('POST', '/v1/webhooks/endpoints', {
      url: receiver.url,
      event_types: ['user.created'],
      enabled: false,
    })
    expect(made.status).toBe(200)
    const id = made.body.id as string
    const since = Date.now()
    // Ten thousand events of another type first: they must not use up the replay's limit.
    const others = Array.from({ length: 10_000 }, (_, i) =>
      server.services.webhookEvents.event('session.created', {
        object: 'session',
        id: `sess_${i}`,
      }),
    )
    for (let i = 0; i < others.length; i += 1_000)
      await writeAtomically(server.db.db, server.db.dialect, others.slice(i, i + 1_000))
    await writeAtomically(server.db.db, server.db.dialect, [
      server.services.webhookEvents.event('user.created', { object: 'user', id: 'user_late' }),
    ])
    await server.services.webhookWorker.drained()
    expect((await bapi('PATCH', `/v1/webhooks/endpoints/${id}`, { enabled: true })).status).toBe(
      200,
    )
    const replay = await bapi('POST', `/v1/webhooks/endpoints/${id}/replay`, { since })
    expect(replay.body).toMatchObject({ object: 'webhook_replay', deliveries: 1 })
    await receiver.waitFor((r) => r.length === 1)
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({
      type: 'user.created',
      data: { id: 'user_late' },
    })
  }, 120_000)
})
