import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { vi } from 'vitest'

export type Received = {
  id: string
  timestamp: number
  signatures: string[]
  body: string
  headers: IncomingHttpHeaders
  /** What the receiver answered. */
  status: number
}

/**
 * Checks a delivery as a receiver does, with both libraries Clerk's users verify with: `svix`'s
 * `Webhook.verify` (svix-* headers) and `standardwebhooks` (webhook-* headers). Both compare the
 * timestamp with `Date.now()`; `at` (a test's fake clock) is the time the receiver checks at.
 * Throws what the libraries throw.
 */
export function verifyDelivery(
  secret: string,
  r: Pick<Received, 'body' | 'headers'>,
  at: number = Date.now(),
): unknown {
  const h = (name: string) => String(r.headers[name] ?? '')
  const run = () => {
    const svix = new SvixWebhook(secret).verify(r.body, {
      'svix-id': h('svix-id'),
      'svix-timestamp': h('svix-timestamp'),
      'svix-signature': h('svix-signature'),
    })
    const standard = new StandardWebhook(secret).verify(r.body, {
      'webhook-id': h('webhook-id'),
      'webhook-timestamp': h('webhook-timestamp'),
      'webhook-signature': h('webhook-signature'),
    })
    return { svix, standard }
  }
  if (Math.abs(at - Date.now()) < 1000) return run()
  // Only `Date` is faked, and only for these synchronous lines.
  vi.useFakeTimers({ toFake: ['Date'], now: at })
  try {
    return run()
  } finally {
    vi.useRealTimers()
  }
}

/**
 * A real HTTP receiver on loopback. It records every request and answers `status` (200 unless
 * set); `hang` keeps requests unanswered; `stop()`/`start()` take it off the port and back.
 */
export class WebhookReceiver {
  readonly received: Received[] = []
  status = 200
  answer = 'ok'
  hang = false
  /** The `svix-id`s of requests left unanswered while `hang` was set. */
  readonly hung: string[] = []
  #server: Server | undefined
  #port = 0
  #waiters: Array<() => void> = []

  get url(): string {
    return `http://127.0.0.1:${this.#port}/webhooks`
  }

  get port(): number {
    return this.#port
  }

  static async start(port = 0): Promise<WebhookReceiver> {
    const r = new WebhookReceiver()
    r.#port = port
    await r.start()
    return r
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (this.hang) {
          this.hung.push(String(req.headers['svix-id']))
          for (const w of this.#waiters.splice(0)) w()
          return
        }
        const headers = req.headers
        this.received.push({
          id: String(headers['svix-id']),
          timestamp: Number(headers['svix-timestamp']),
          signatures: String(headers['svix-signature'] ?? '').split(' '),
          body: Buffer.concat(chunks).toString('utf8'),
          headers,
          status: this.status,
        })
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end(this.answer)
        for (const w of this.#waiters.splice(0)) w()
      })
    })
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve))
    this.#port = (server.address() as AddressInfo).port
    this.#server = server
  }

  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Resolves once `predicate` holds over what was received. */
  async waitFor(
    predicate: (r: Received[], hung: string[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!predicate(this.received, this.hung)) {
      if (Date.now() > deadline)
        throw new Error(`receiver: condition not met; got ${this.received.length} requests`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Bodies received with a 2xx answer, parsed. */
  delivered(): Array<Received & { envelope: { type: string; data: Record<string, unknown> } }> {
    return this.received
      .filter((r) => r.status >= 200 && r.status < 300)
      .map((r) => ({ ...r, envelope: JSON.parse(r.body) }))
  }
}
