import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver } from '../../../examples/webhook-receiver/receiver.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * The README's "Sync users to your database": the example receiver, against a real Latchkey
 * server, keeps its own SQLite table in step with users created, changed and deleted through
 * the Backend API. Each event carries the Backend API's resource as it is after the change;
 * this file records the events itself (the routes' emission is another part of issue #19).
 */
describe.each(DIALECTS)('the example webhook receiver (%s)', (dialect) => {
  let server: TestServer
  let dir: string
  let receiver: ReturnType<typeof startReceiver>

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on' } })
    dir = mkdtempSync(join(tmpdir(), 'latchkey-receiver-'))
  })
  afterAll(async () => {
    await receiver?.close()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
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
    expect(res.status).toBe(200)
    return (await res.json()) as Record<string, unknown>
  }

  it('upserts and deletes users as the events arrive, and refuses a forged request', async () => {
    // The endpoint first (its secret configures the receiver), then the receiver at its URL.
    const created = await bapi('POST', '/v1/webhooks/endpoints', {
      url: 'http://127.0.0.1:9/placeholder',
      event_types: ['user.created', 'user.updated', 'user.deleted'],
    })
    receiver = startReceiver({ secret: created.secret as string, database: join(dir, 'app.db') })
    await bapi('PATCH', `/v1/webhooks/endpoints/${created.id}`, { url: await receiver.url })
    const user = await bapi('POST', '/v1/users', {
      email_address: ['ada@example.com'],
      first_name: 'Ada',
      password: 'correct horse battery staple',
    })
    await server.services.webhookWorker.drained()
    await expect
      .poll(() => receiver.users())
      .toEqual([
        { id: user.id, email: 'ada@example.com', first_name: 'Ada', last_name: null, deleted: 0 },
      ])
    await bapi('PATCH', `/v1/users/${user.id}`, { last_name: 'Lovelace' })
    // Delivered again (at least once): the receiver applies it once.
    const [event] = await server.db.db
      .selectFrom('webhook_events')
      .select('id')
      .where('type', '=', 'user.updated')
      .execute()
    await server.services.webhookWorker.drained()
    await bapi('POST', `/v1/webhooks/endpoints/${created.id}/replay`, { event_id: event?.id })
    await server.services.webhookWorker.drained()
    await expect.poll(() => receiver.users()).toMatchObject([{ last_name: 'Lovelace' }])
    const forged = await fetch(await receiver.url, {
      method: 'POST',
      headers: { 'svix-id': 'msg_forged', 'svix-timestamp': '1', 'svix-signature': 'v1,AAAA' },
      body: JSON.stringify({ type: 'user.deleted', data: { id: user.id, deleted: true } }),
    })
    expect(forged.status).toBe(400)
    expect(receiver.users()).toMatchObject([{ deleted: 0 }])
    await bapi('DELETE', `/v1/users/${user.id}`)
    await server.services.webhookWorker.drained()
    await expect
      .poll(() => receiver.users())
      .toEqual([{ id: user.id, email: null, first_name: null, last_name: null, deleted: 1 }])
    const deliveries = (await fetch(
      `${server.url}/v1/webhooks/endpoints/${created.id}/deliveries?status=succeeded`,
      { headers: { authorization: `Bearer ${server.secretKey}` } },
    ).then((r) => r.json())) as { last_status_code: number }[]
    expect(deliveries.map((d) => d.last_status_code)).toEqual([204, 204, 204, 204])
  })
})
