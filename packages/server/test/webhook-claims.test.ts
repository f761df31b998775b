import { createDb, type Db, writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimDue, fanOut } from '../src/webhooks/webhook-deliveries.repository.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19: every server process runs a webhook worker; two on one database deliver each
 * attempt once. On PostgreSQL fan-out and claims skip the rows another holds (FOR UPDATE SKIP
 * LOCKED) and a claim is a lease; on SQLite one writer works at a time.
 */
describe.each(DIALECTS)('two webhook workers on one database (%s)', (dialect) => {
  let receiver: WebhookReceiver
  let a: TestServer
  let b: TestServer
  let other: Db
  const env = { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on' }

  beforeAll(async () => {
    receiver = await WebhookReceiver.start()
    a = await createTestServer(dialect, { env, sqliteFile: true })
    b = await createTestServer(dialect, { env, shareDatabaseWith: a })
    other = await createDb({
      url: a.database.url,
      ...(a.database.schema ? { schema: a.database.schema } : {}),
    })
  })
  afterAll(async () => {
    await other?.close()
    await b?.close()
    await a?.close()
    await receiver?.stop()
  })

  const burst = async (n: number, tag: string) => {
    const writes = Array.from({ length: n }, (_, i) =>
      a.services.webhookEvents.event('user.updated', { object: 'user', id: `user_${tag}${i}` }),
    )
    await writeAtomically(a.db.db, a.db.dialect, writes)
  }

  it('deliver every event of a burst exactly once', async () => {
    await a.services.webhooks.create({ url: receiver.url })
    const n = 60
    await burst(n, 'burst')
    a.services.webhookWorker.kick()
    b.services.webhookWorker.kick()
    await receiver.waitFor((r) => r.length >= n, 30_000)
    await Promise.all([a.services.webhookWorker.drained(), b.services.webhookWorker.drained()])
    await new Promise((r) => setTimeout(r, 1_500))
    expect(receiver.received).toHaveLength(n)
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(n)
    const attempts = await a.db.db.selectFrom('webhook_attempts').select('id').execute()
    expect(attempts).toHaveLength(n)
  })

  it('fan-outs and claims racing take disjoint rows, each once', async () => {
    await a.services.webhookWorker.stop()
    await b.services.webhookWorker.stop()
    await a.services.webhooks.create({ url: receiver.url })
    const endpoints = (await a.services.webhooks.list()).length
    const n = 30
    await burst(n, 'race')
    const now = Date.now()
    const fan = (db: Db) => fanOut(db.db, db.dialect, now, 7, (_e, eps) => eps)
    const pools = [a.db, b.db, other, a.db, b.db]
    // At once on PostgreSQL. SQLite's connections here share one thread, and better-sqlite3
    // waits for a lock synchronously, blocking the very transaction it waits for: racing them
    // in one process would show nothing about separate processes, so they take turns.
    const fans =
      dialect === 'postgres'
        ? await Promise.all(pools.map(fan))
        : await pools.reduce(
            async (acc, db) => [...(await acc), await fan(db)],
            Promise.resolve([] as Awaited<ReturnType<typeof fan>>[]),
          )
    let events = fans.reduce((sum, f) => sum + f.events, 0)
    for (let more = await fan(other); more.events > 0; more = await fan(other))
      events += more.events
    expect(events).toBe(n)
    const deliveries = await a.db.db
      .selectFrom('webhook_deliveries')
      .select(['event_id', 'endpoint_id'])
      .where('status', '=', 'pending')
      .execute()
    expect(deliveries).toHaveLength(n * endpoints)
    expect(new Set(deliveries.map((d) => `${d.event_id} ${d.endpoint_id}`)).size).toBe(
      n * endpoints,
    )
    const claim = (db: Db) => claimDue(db.db, db.dialect, now, now + 60_000, 8)
    const rounds = await Promise.all([claim(a.db), claim(b.db), claim(other), claim(a.db)])
    const claimed = rounds.flat()
    for (let more = await claim(other); more.length > 0; more = await claim(other))
      claimed.push(...more)
    const ids = claimed.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(n * endpoints)
    // Each claim a batch: PostgreSQL once ran an `IN (… LIMIT 8 FOR UPDATE SKIP LOCKED)` pick
    // again per row and took every due row in one claim.
    expect(Math.max(...rounds.map((r) => r.length))).toBeLessThanOrEqual(8)
    expect(claimed.every((r) => r.attempts === 1)).toBe(true)
    expect(await claim(b.db)).toHaveLength(0)
  })
})
