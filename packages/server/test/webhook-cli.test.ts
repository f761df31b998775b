import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { freshDatabase } from './helpers/fresh-database.js'
import { spawnServer } from './helpers/spawn-server.js'
import { DIALECTS, freePort } from './helpers/test-server.js'
import { verifyDelivery, WebhookReceiver } from './helpers/webhook-receiver.js'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

/* Issue #19: the operator manages webhook endpoints from the CLI; a running server delivers. */
describe.each(DIALECTS)('latchkey webhooks (%s)', (dialect) => {
  it('creates, lists, rotates, tests, shows deliveries and stats, disables and deletes', async () => {
    const receiver = await WebhookReceiver.start()
    cleanups.push(() => receiver.stop())
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-whcli-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const db = await freshDatabase(dialect, dataDir)
    cleanups.push(db.drop)
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: db.url,
      LATCHKEY_LOG_LEVEL: 'warn',
      LATCHKEY_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1',
    }
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [CLI, 'webhooks', ...args], { env })).stdout)
    const created = await cli('create', receiver.url, 'user.created,user.deleted')
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      url: receiver.url,
      event_types: ['user.created', 'user.deleted'],
      enabled: true,
      secret: expect.stringMatching(/^whsec_/),
    })
    await expect(cli('create', 'http://10.0.0.1/')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('form_param_value_invalid'),
    })
    await expect(cli('create', receiver.url, 'user.exploded')).rejects.toMatchObject({ code: 2 })
    await expect(cli('frobnicate')).rejects.toMatchObject({ code: 2 })
    expect((await cli('list')).map((e: { id: string }) => e.id)).toEqual([created.id])
    expect((await cli('secret', created.id)).secret).toBe(created.secret)
    const rotated = await cli('rotate-secret', created.id)
    expect(rotated.secret).not.toBe(created.secret)
    const server = spawnServer(env)
    cleanups.push(async () => void server.child.kill('SIGKILL'))
    await server.ready
    const test = await cli('test', created.id)
    await receiver.waitFor((r) => r.length === 1)
    const [got] = receiver.received
    if (!got) throw new Error('nothing received')
    expect(got.id).toBe(test.event_id)
    expect(got.signatures).toHaveLength(2)
    expect(() => verifyDelivery(created.secret, got)).not.toThrow()
    expect(() => verifyDelivery(rotated.secret, got)).not.toThrow()
    await expect
      .poll(async () => (await cli('deliveries', created.id))[0]?.status, { timeout: 10_000 })
      .toBe('succeeded')
    const stats = await cli('stats')
    expect(stats.endpoints[0]).toMatchObject({ endpoint_id: created.id, succeeded: 1, pending: 0 })
    expect((await cli('disable', created.id)).enabled).toBe(false)
    expect((await cli('enable', created.id)).enabled).toBe(true)
    expect(await cli('delete', created.id)).toEqual({
      object: 'webhook_endpoint',
      id: created.id,
      deleted: true,
    })
    expect(await cli('list')).toEqual([])
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 240_000)
})
