import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, expect } from 'vitest'
import { BrowserClient, fetchJson, type Json } from './browser-client.js'
import { startSmtpServer, type TestSmtpServer } from './smtp.js'
import { createTestServer, type Dialect, type TestServer } from './test-server.js'
import { verifyDelivery, WebhookReceiver } from './webhook-receiver.js'

export const PASSWORD = 'user updates passphrase'

export type Envelope = { type: string; data: Json; object: string }

/**
 * The suite the `user.updated` tests share (issue #19): a server on a fake clock (so
 * `lockout_expires_in_seconds` reads the same in an event and in the API), a real SMTP server,
 * and a real webhook receiver on loopback subscribed to every event. Call inside `describe`: it
 * registers the hooks. Every delivery is verified as a receiver does, with `svix`'s and
 * `standardwebhooks`' `Webhook.verify`.
 */
export function userUpdatesSuite(dialect: Dialect) {
  let server: TestServer
  let smtp: TestSmtpServer
  let receiver: WebhookReceiver
  let secret = ''
  let seen = 0
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      fake: true,
      smtpUrl: smtp.url,
      emailLinks: true,
      env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on', LATCHKEY_LOCKOUT_ATTEMPTS: '3' },
    })
    receiver = await WebhookReceiver.start()
    const ep = await h.bapi('POST', '/v1/webhooks/endpoints', { url: receiver.url })
    expect(ep.status).toBe(200)
    secret = ep.json.secret
  })
  afterAll(async () => {
    await server?.close()
    await receiver?.stop()
    await smtp?.close()
  })

  const types = (events: Envelope[]) => events.map((e) => e.type).sort()

  const h = {
    get server() {
      return server
    },
    get smtp() {
      return smtp
    },
    /** A fresh number, for unique addresses and accounts. */
    next: () => ++n,
    bapi: (method: string, path: string, body?: unknown) =>
      fetchJson(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    clerk: () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url }),
    clock: () => server.clock as { now(): number; advance(ms: number): void },
    browser: () => new BrowserClient(server.url, server.url),
    types,
    async apiUser(id: string): Promise<Json> {
      const r = await h.bapi('GET', `/v1/users/${id}`)
      expect(r.status).toBe(200)
      return r.json
    },

    /** What reached the receiver since the last call, each verified as a receiver does. */
    async delivered(): Promise<Envelope[]> {
      await server.services.webhookWorker.drained()
      const fresh = receiver.received.slice(seen)
      seen = receiver.received.length
      return fresh.map((r) => {
        // Throws unless both `svix`'s and `standardwebhooks`' Webhook.verify accept it.
        expect(() => verifyDelivery(secret, r, h.clock().now())).not.toThrow()
        return JSON.parse(r.body) as Envelope
      })
    },

    /**
     * Exactly one `user.updated` since the last call (besides `others`), equal to the API's
     * user. `thenSignedIn`: the request went on to complete a sign-in after the change (a
     * lockout lifted, a new password), whose stamp (`last_sign_in_at`, `last_active_at`) is
     * written after the event's transaction and emits nothing: the event has the one before.
     */
    async oneUpdate(
      userId: string,
      others: string[] = [],
      thenSignedIn?: { before: number | null },
    ): Promise<Json> {
      const events = await h.delivered()
      expect(types(events)).toEqual(['user.updated', ...others].sort())
      const [updated] = events.filter((e) => e.type === 'user.updated')
      const now = await h.apiUser(userId)
      if (!thenSignedIn) expect(updated?.data).toEqual(now)
      else {
        expect(now.last_sign_in_at).toBe(h.clock().now())
        const stamp = { last_sign_in_at: thenSignedIn.before, last_active_at: thenSignedIn.before }
        expect(updated?.data).toEqual({ ...now, ...stamp })
      }
      return updated?.data
    },

    /** A user signed up through the Frontend API: their address unverified (no proof asked). */
    async signedUp() {
      const email = `u-${dialect}-${++n}@example.com`
      const b = h.browser()
      const sid = await b.signUp(email, PASSWORD)
      const userId = (await h.bapi('GET', `/v1/sessions/${sid}`)).json.user_id as string
      expect(types(await h.delivered())).toEqual(['session.created', 'user.created'])
      expect((await h.apiUser(userId)).email_addresses[0].verification).toBeNull()
      return { b, sid, userId, email }
    },
  }
  return h
}
