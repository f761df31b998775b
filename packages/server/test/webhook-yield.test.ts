import { writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword, passwordWorkInFlight } from '../src/lib/passwords.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { WebhookReceiver } from './helpers/webhook-receiver.js'

/*
 * Issue #19 item 5: a burst drains without slowing sign-ins. Password hashes run on
 * low-priority threads, the webhook worker on the event loop at normal priority: while hashes
 * are queued or running in the process, the worker claims small batches (8, not 16) and pauses
 * after each. Shown by what a receiver that never answers holds at once: a batch's POSTs are all
 * in flight together and the next batch waits for them, so the count is the batch size.
 */
describe.each(DIALECTS)('webhook delivery yields to password work (%s)', (dialect) => {
  let receiver: WebhookReceiver
  let server: TestServer

  beforeAll(async () => {
    receiver = await WebhookReceiver.start()
    receiver.hang = true
    server = await createTestServer(dialect, {
      env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on', LATCHKEY_WEBHOOK_TIMEOUT: '5' },
    })
  })
  afterAll(async () => {
    await server?.close()
    await receiver?.stop()
  })

  const burst = async (tag: string) => {
    const writes = Array.from({ length: 40 }, (_, i) =>
      server.services.webhookEvents.event('user.updated', {
        object: 'user',
        id: `user_${tag}${i}`,
      }),
    )
    await writeAtomically(server.db.db, server.db.dialect, writes)
    server.services.webhookWorker.kick()
  }
  /** The POSTs held once no more arrive for a while (the batch waits on them for 5 s). */
  const held = async (from: number, atLeast: number) => {
    await receiver.waitFor((_r, hung) => hung.length - from >= atLeast, 15_000)
    await new Promise((r) => setTimeout(r, 1_000))
    return receiver.hung.length - from
  }

  it('claims 8 at a time while hashes are in flight, 16 when there are none', async () => {
    const { row: endpoint } = await server.services.webhooks.create({ url: receiver.url })

    // People signing in: more hashes than the pool runs at once, queued for seconds.
    // Enough that they outlast the burst's first claim even on a slow machine.
    const hashes = Array.from({ length: 120 }, (_, i) => hashPassword(`yield passphrase ${i}`))
    expect(passwordWorkInFlight()).toBeGreaterThan(0)
    await burst('busy')
    expect(await held(0, 8)).toBe(8)
    await Promise.all(hashes)
    expect(passwordWorkInFlight()).toBe(0)

    // A second endpoint on an idle process: full batches.
    await server.services.webhooks.delete(endpoint.id)
    const before = receiver.hung.length
    await server.services.webhooks.create({ url: receiver.url })
    await new Promise((r) => setTimeout(r, 6_000))
    const settled = receiver.hung.length
    await burst('idle')
    expect(await held(settled, 16)).toBe(16)
    expect(settled).toBeGreaterThanOrEqual(before)
  }, 120_000)
})
