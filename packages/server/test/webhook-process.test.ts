import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeAtomically } from '@latchkey/db'
import { afterAll, describe, expect, it } from 'vitest'
import { createCore, type LatchkeyCore } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { freshDatabase } from './helpers/fresh-database.js'
import { spawnServer } from './helpers/spawn-server.js'
import { DIALECTS, freePort } from './helpers/test-server.js'
import { verifyDelivery, WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19, on the real server process: `kill -9` while deliveries are in flight, then a
 * restart, delivers every event at least once, each with its original svix-id.
 */

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

describe.each(DIALECTS)('webhook delivery in the server process (%s)', (dialect) => {
  it('survives a SIGKILL mid-delivery: every event arrives, with its svix-id', async () => {
    const receiver = await WebhookReceiver.start()
    cleanups.push(() => receiver.stop())
    receiver.hang = true
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-webhooks-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const db = await freshDatabase(dialect, dataDir)
    cleanups.push(db.drop)
    const env = {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: db.url,
      LATCHKEY_RATE_LIMIT: 'off',
      LATCHKEY_LOG_LEVEL: 'info',
      LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on',
      // An attempt may take 5 s, so a claim's lease is 15 s.
      LATCHKEY_WEBHOOK_TIMEOUT: '5',
    }
    const first = spawnServer(env)
    cleanups.push(async () => void first.child.kill('SIGKILL'))
    await first.ready
    // Another process's view of the database, with the server's modules: a change committing
    // its events, as a route does.
    const core: LatchkeyCore = await createCore({
      config: loadConfig({ ...env, LATCHKEY_LOG_LEVEL: 'silent' }),
    })
    cleanups.push(() => core.db.close())
    const { secret } = await core.services.webhooks.create({ url: receiver.url })
    const n = 5
    await writeAtomically(
      core.db.db,
      core.db.dialect,
      Array.from({ length: n }, (_, i) =>
        core.services.webhookEvents.event('user.created', { object: 'user', id: `user_k${i}` }),
      ),
    )
    const ids = (await core.db.db.selectFrom('webhook_events').select('id').execute())
      .map((r) => r.id)
      .sort()
    // Every delivery in flight, unanswered: the process dies holding their leases.
    await receiver.waitFor((_r, hung) => hung.length === n, 20_000)
    first.child.kill('SIGKILL')
    await first.exited
    receiver.hang = false
    const second = spawnServer(env)
    cleanups.push(async () => void second.child.kill('SIGKILL'))
    await second.ready
    await receiver.waitFor((r) => new Set(r.map((x) => x.id)).size === n, 40_000)
    expect([...new Set(receiver.received.map((r) => r.id))].sort()).toEqual(ids)
    expect([...receiver.hung].sort()).toEqual(ids)
    for (const r of receiver.received) expect(() => verifyDelivery(secret, r)).not.toThrow()
    const rows = await core.db.db.selectFrom('webhook_deliveries').selectAll().execute()
    await expect
      .poll(async () =>
        (await core.db.db.selectFrom('webhook_deliveries').select('status').execute()).map(
          (d) => d.status,
        ),
      )
      .toEqual(rows.map(() => 'succeeded'))
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 120_000)
})
