import { writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebhookEventType } from '../src/webhooks/webhook-events.js'
import { DISABLE_AFTER_MS, RETRY_DELAYS_MS } from '../src/webhooks/webhook-worker.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { verifyDelivery, WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19, delivery: real HTTP receivers on loopback verify every delivery with `svix` and
 * `standardwebhooks`. The server's clock is a fake one, moved through Svix's retry schedule.
 */

type Fake = { now(): number; advance(ms: number): void }

describe.each(DIALECTS)('webhook delivery (%s)', (dialect) => {
  let server: TestServer
  let clock: Fake
  const receivers: WebhookReceiver[] = []

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on', LATCHKEY_WEBHOOK_TIMEOUT: '3' },
    })
    clock = server.clock as Fake
  })
  afterAll(async () => {
    await server?.close()
    for (const r of receivers) await r.stop()
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
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & never }
  }
  const receiver = async () => {
    const r = await WebhookReceiver.start()
    receivers.push(r)
    return r
  }
  const endpoint = async (url: string, extra: Record<string, unknown> = {}) => {
    const res = await bapi('POST', '/v1/webhooks/endpoints', { url, ...extra })
    expect(res.status).toBe(200)
    return res.body as { id: string; secret: string; event_types: string[] | null }
  }
  const emit = async (type: WebhookEventType, data: Record<string, unknown>) => {
    const write = server.services.webhookEvents.event(type, data, { ipAddress: '203.0.113.7' })
    await writeAtomically(server.db.db, server.db.dialect, [write])
    const rows = await server.db.db
      .selectFrom('webhook_events')
      .select('id')
      .orderBy('created_at', 'desc')
      .execute()
    return rows
  }
  const drain = () => server.services.webhookWorker.drained()
  const eventIds = async () =>
    (await server.db.db.selectFrom('webhook_events').select(['id', 'type']).execute()).map(
      (r) => r.id,
    )
  const disableAll = async () => {
    for (const ep of (await bapi('GET', '/v1/webhooks/endpoints')).body as unknown as {
      id: string
    }[])
      await bapi('PATCH', `/v1/webhooks/endpoints/${ep.id}`, { enabled: false })
  }

  it('delivers the envelope signed the Svix way; a tampered body or a stale timestamp fails', async () => {
    const r = await receiver()
    const ep = await endpoint(r.url, { description: 'sync' })
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    const before = new Set(await eventIds())
    await emit('user.created', { object: 'user', id: 'user_sig1' })
    const [id] = (await eventIds()).filter((e) => !before.has(e))
    await drain()
    await r.waitFor((got) => got.length === 1)
    const [got] = r.received
    if (!got) throw new Error('nothing received')
    expect(got.id).toBe(id)
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.signatures).toHaveLength(1)
    expect(got.timestamp).toBe(Math.floor(clock.now() / 1000))
    expect(() => verifyDelivery(ep.secret, got, clock.now())).not.toThrow()
    expect(JSON.parse(got.body)).toEqual({
      data: { object: 'user', id: 'user_sig1' },
      object: 'event',
      type: 'user.created',
      timestamp: expect.any(Number),
      instance_id: server.services.instance.id,
      event_attributes: { http_request: { client_ip: '203.0.113.7', user_agent: '' } },
    })
    // Tampered: one byte of the body changed.
    const tampered = { ...got, body: got.body.replace('user_sig1', 'user_sig2') }
    expect(() => verifyDelivery(ep.secret, tampered, clock.now())).toThrow()
    // Stale: the receiver checks ten minutes later (both libraries allow five).
    expect(() => verifyDelivery(ep.secret, got, clock.now() + 10 * 60_000)).toThrow(/timestamp/i)
    // Another secret does not verify it.
    const other = await endpoint(r.url)
    expect(() => verifyDelivery(other.secret, got, clock.now())).toThrow()
    const deliveries = await bapi('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`)
    expect(deliveries.body).toMatchObject([
      {
        object: 'webhook_delivery',
        event_id: id,
        event_type: 'user.created',
        status: 'succeeded',
        attempts: 1,
        last_status_code: 200,
        last_response: 'ok',
        attempt_log: [{ attempt: 1, status_code: 200, response_excerpt: 'ok', error: null }],
      },
    ])
    await disableAll()
  })

  it('filters by event type: an endpoint gets only the types it subscribed to', async () => {
    const all = await receiver()
    const some = await receiver()
    await endpoint(all.url)
    const filtered = await endpoint(some.url, { event_types: ['user.deleted'] })
    expect(filtered.event_types).toEqual(['user.deleted'])
    await emit('user.created', { object: 'user', id: 'user_f1' })
    await emit('user.deleted', { object: 'user', id: 'user_f1', deleted: true })
    await emit('session.created', { object: 'session', id: 'sess_f1' })
    // Live codes: only to an endpoint that names the type, never to a catch-all one.
    const mail = await receiver()
    await endpoint(mail.url, { event_types: ['email.created'] })
    await emit('email.created', { object: 'email', id: 'ema_f1', otp_code: '123456' })
    await drain()
    await all.waitFor((got) => got.length === 3)
    await some.waitFor((got) => got.length === 1)
    await mail.waitFor((got) => got.length === 1)
    expect(mail.delivered().map((d) => d.envelope.type)).toEqual(['email.created'])
    expect(some.delivered().map((d) => d.envelope.type)).toEqual(['user.deleted'])
    expect(
      all
        .delivered()
        .map((d) => d.envelope.type)
        .sort(),
    ).toEqual(['session.created', 'user.created', 'user.deleted'])
    const bad = await bapi('POST', '/v1/webhooks/endpoints', {
      url: some.url,
      event_types: ['user.exploded'],
    })
    expect(bad.status).toBe(422)
    await disableAll()
  })

  it('a receiver failing, then down, then up gets every event, the same svix-id on every attempt', async () => {
    const r = await receiver()
    const ep = await endpoint(r.url)
    r.status = 500
    r.answer = 'database is down'
    const before = new Set(await eventIds())
    for (const i of [1, 2, 3]) await emit('user.updated', { object: 'user', id: `user_retry${i}` })
    const ids = (await eventIds()).filter((e) => !before.has(e)).sort()
    await drain()
    await r.waitFor((got) => got.length === 3)
    // Attempts 2 and 3 (after 5 s and 5 min) answered 500; then the receiver is off its port for
    // attempts 4 to 6 (30 min, 2 h, 5 h); it is back for attempt 7 (10 h later).
    for (const [n, wait] of RETRY_DELAYS_MS.slice(0, 5).entries()) {
      if (n === 2) await r.stop()
      clock.advance(wait - 1)
      await drain()
      // Not due yet, a millisecond early.
      expect(r.received.length).toBe(3 * Math.min(n + 1, 3))
      clock.advance(1)
      await drain()
    }
    const failed = await bapi('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`)
    const log = (
      failed.body as unknown as { attempt_log: { status_code: number; error: string }[] }[]
    )[0]?.attempt_log
    expect(log?.map((a) => a.status_code)).toEqual([500, 500, 500, null, null, null])
    expect(log?.[3]?.error).toMatch(/ECONNREFUSED/)
    expect(log?.[0]).toMatchObject({ error: 'HTTP 500', response_excerpt: 'database is down' })
    r.status = 200
    await r.start()
    clock.advance(RETRY_DELAYS_MS[5] ?? 0)
    await drain()
    await r.waitFor((got) => got.filter((x) => x.status === 200).length === 3)
    expect(r.received.map((x) => x.id).sort()).toEqual([...ids, ...ids, ...ids, ...ids].sort())
    for (const d of r.delivered())
      expect(() => verifyDelivery(ep.secret, d, clock.now())).not.toThrow()
    const stats = await bapi('GET', '/v1/webhooks/stats')
    expect(stats.body).toMatchObject({ object: 'webhook_stats', undispatched_events: 0 })
    await disableAll()
  })

  it('gives a delivery up after the eighth attempt', async () => {
    const r = await receiver()
    r.status = 503
    const ep = await endpoint(r.url)
    await emit('user.updated', { object: 'user', id: 'user_giveup' })
    await drain()
    for (const wait of RETRY_DELAYS_MS) {
      clock.advance(wait)
      await drain()
    }
    expect(r.received).toHaveLength(8)
    const [d] = (await bapi('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`))
      .body as unknown as {
      status: string
      attempts: number
      next_attempt_at: number | null
    }[]
    expect(d).toMatchObject({ status: 'failed', attempts: 8, next_attempt_at: null })
    await disableAll()
  })

  it('rotation: the next deliveries carry both signatures, each verifies; after 24 h only the new', async () => {
    const r = await receiver()
    const ep = await endpoint(r.url)
    const rotated = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/rotate_secret`)
    expect(rotated.status).toBe(200)
    const fresh = (rotated.body as { secret: string }).secret
    expect(fresh).not.toBe(ep.secret)
    expect(
      ((await bapi('GET', `/v1/webhooks/endpoints/${ep.id}/secret`)).body as { secret: string })
        .secret,
    ).toBe(fresh)
    // The secret is in no other answer.
    expect(
      JSON.stringify((await bapi('GET', `/v1/webhooks/endpoints/${ep.id}`)).body),
    ).not.toContain('whsec_')
    await emit('user.updated', { object: 'user', id: 'user_rot' })
    await drain()
    await r.waitFor((got) => got.length === 1)
    const [got] = r.received
    if (!got) throw new Error('nothing received')
    expect(got.signatures).toHaveLength(2)
    expect(() => verifyDelivery(ep.secret, got, clock.now())).not.toThrow()
    expect(() => verifyDelivery(fresh, got, clock.now())).not.toThrow()
    clock.advance(24 * 3_600_000 + 1)
    await emit('user.updated', { object: 'user', id: 'user_rot2' })
    await drain()
    await r.waitFor((g) => g.length === 2)
    const later = r.received[1]
    if (!later) throw new Error('nothing received')
    expect(later.signatures).toHaveLength(1)
    expect(() => verifyDelivery(fresh, later, clock.now())).not.toThrow()
    expect(() => verifyDelivery(ep.secret, later, clock.now())).toThrow()
    await disableAll()
  })

  it('disables an endpoint whose every attempt failed for 5 days', async () => {
    const r = await receiver()
    r.status = 500
    const ep = await endpoint(r.url)
    await emit('user.updated', { object: 'user', id: 'user_dis1' })
    await drain()
    const start = clock.now()
    // Events keep coming and failing; 5 days after the first failure the endpoint is off.
    for (let t = 12 * 3_600_000; t < DISABLE_AFTER_MS; t += 12 * 3_600_000) {
      clock.advance(12 * 3_600_000)
      await emit('user.updated', { object: 'user', id: 'user_dis' })
      await drain()
      expect(
        ((await bapi('GET', `/v1/webhooks/endpoints/${ep.id}`)).body as { enabled: boolean })
          .enabled,
      ).toBe(true)
    }
    clock.advance(DISABLE_AFTER_MS - (clock.now() - start))
    await emit('user.updated', { object: 'user', id: 'user_dis_last' })
    await drain()
    const off = (await bapi('GET', `/v1/webhooks/endpoints/${ep.id}`)).body as Record<
      string,
      unknown
    >
    expect(off).toMatchObject({ enabled: false, disabled_reason: 'failing', failing_since: start })
    const stats = (await bapi('GET', '/v1/webhooks/stats')).body as {
      endpoints: { endpoint_id: string; enabled: boolean; failed: number }[]
    }
    expect(stats.endpoints.find((e) => e.endpoint_id === ep.id)).toMatchObject({ enabled: false })
    // A disabled endpoint is not fanned out to.
    const seen = r.received.length
    await emit('user.updated', { object: 'user', id: 'user_after' })
    await drain()
    clock.advance(RETRY_DELAYS_MS[0])
    await drain()
    expect(r.received.length).toBe(seen)
    // Enabled again by the operator: a fresh start.
    r.status = 200
    const on = await bapi('PATCH', `/v1/webhooks/endpoints/${ep.id}`, { enabled: true })
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null })
    await disableAll()
  })

  it('sends a test event, and replays one message or everything since a time', async () => {
    const r = await receiver()
    const ep = await endpoint(r.url, { event_types: ['user.created', 'user.deleted'] })
    const test = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/test`)
    expect(test.body).toMatchObject({ object: 'webhook_test', endpoint_id: ep.id })
    await drain()
    await r.waitFor((g) => g.length === 1)
    expect(r.delivered()[0]?.envelope).toMatchObject({
      type: 'webhook.test',
      data: { endpoint_id: ep.id },
    })
    expect(r.received[0]?.id).toBe((test.body as { event_id: string }).event_id)
    const since = clock.now()
    clock.advance(1)
    await emit('user.created', { object: 'user', id: 'user_rep1' })
    await emit('user.updated', { object: 'user', id: 'user_rep1' })
    await emit('user.deleted', { object: 'user', id: 'user_rep1', deleted: true })
    await drain()
    await r.waitFor((g) => g.length === 3)
    const first = r.received[1]
    if (!first) throw new Error('nothing received')
    const one = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/replay`, { event_id: first.id })
    expect(one.body).toMatchObject({ object: 'webhook_replay', deliveries: 1 })
    await drain()
    await r.waitFor((g) => g.length === 4)
    expect(r.received[3]?.id).toBe(first.id)
    expect(r.received[3]?.body).toBe(first.body)
    const all = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/replay`, { since })
    // The subscribed types only: user.created and user.deleted, not the test event.
    expect(all.body).toMatchObject({ deliveries: 2 })
    await drain()
    await r.waitFor((g) => g.length === 6)
    for (const d of r.delivered())
      expect(() => verifyDelivery(ep.secret, d, clock.now())).not.toThrow()
    const missing = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/replay`, {
      event_id: 'msg_nope',
    })
    expect(missing.status).toBe(404)
    const neither = await bapi('POST', `/v1/webhooks/endpoints/${ep.id}/replay`, {})
    expect(neither.status).toBe(422)
    await disableAll()
  })

  it('manages endpoints: list, get, patch, delete; clear 4xx for bad input', async () => {
    const r = await receiver()
    const ep = await endpoint(r.url, { description: 'one' })
    const patched = await bapi('PATCH', `/v1/webhooks/endpoints/${ep.id}`, {
      description: 'two',
      event_types: ['session.created'],
    })
    expect(patched.body).toMatchObject({ description: 'two', event_types: ['session.created'] })
    const list = (await bapi('GET', '/v1/webhooks/endpoints')).body as unknown as { id: string }[]
    expect(list.map((e) => e.id)).toContain(ep.id)
    expect((await bapi('POST', '/v1/webhooks/endpoints', {})).status).toBe(422)
    expect((await bapi('POST', '/v1/webhooks/endpoints', { url: 'ftp://x.example' })).status).toBe(
      422,
    )
    expect((await bapi('POST', '/v1/webhooks/endpoints', { url: 'not a url' })).status).toBe(422)
    expect((await bapi('GET', '/v1/webhooks/endpoints/whe_missing')).status).toBe(404)
    expect((await bapi('GET', '/v1/webhooks/endpoints/user_x')).status).toBe(422)
    const del = await bapi('DELETE', `/v1/webhooks/endpoints/${ep.id}`)
    expect(del.body).toEqual({ object: 'webhook_endpoint', id: ep.id, deleted: true })
    expect((await bapi('GET', `/v1/webhooks/endpoints/${ep.id}`)).status).toBe(404)
  })

  it('prunes events, deliveries and attempts after the retention period', async () => {
    const r = await receiver()
    await endpoint(r.url)
    await emit('user.created', { object: 'user', id: 'user_prune' })
    await drain()
    await r.waitFor((g) => g.length === 1)
    const count = async (t: 'webhook_events' | 'webhook_deliveries' | 'webhook_attempts') =>
      Number(
        (
          await server.db.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    expect(await count('webhook_events')).toBeGreaterThan(0)
    clock.advance(31 * 86_400_000)
    await drain()
    expect(await count('webhook_events')).toBe(0)
    expect(await count('webhook_deliveries')).toBe(0)
    expect(await count('webhook_attempts')).toBe(0)
  })
})
