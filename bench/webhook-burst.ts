import { createServer, type Server } from 'node:http'
import autocannon from 'autocannon'

/*
 * Issue #19 item 5 and #21 item 6, webhook delivery: a burst of events (Backend API metadata
 * updates, each one `user.updated` in the outbox with its change) drained by the server's own
 * delivery workers to a receiver on loopback, which counts each distinct `svix-id` and answers
 * 204. The burst is written while the endpoint is disabled and queued at once by a replay; the
 * drain rate is from the replay to the last event's arrival. Sign-ins run during the drain, so
 * their rate can be set beside the same load without a burst.
 */

/** A receiver counting the distinct events (svix-id) it was sent, and every delivery. */
export async function startReceiver() {
  const seen = new Set<string>()
  let deliveries = 0
  let waiter: { n: number; resolve: () => void } | undefined
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      deliveries++
      const id = req.headers['svix-id']
      if (typeof id === 'string') seen.add(id)
      res.statusCode = 204
      res.end()
      if (waiter && seen.size >= waiter.n) {
        waiter.resolve()
        waiter = undefined
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = addr && typeof addr === 'object' ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}/hook`,
    distinct: () => seen.size,
    deliveries: () => deliveries,
    /** Resolves once `n` distinct events arrived (or rejects after `timeoutMs`). */
    until(n: number, timeoutMs: number): Promise<void> {
      if (seen.size >= n) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${seen.size} of ${n} events within ${timeoutMs} ms`)),
          timeoutMs,
        )
        waiter = {
          n,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** `n` Backend API updates of one user, each a `user.updated` event: how long they took. */
export async function burstOfUpdates(url: string, secret: string, userId: string, n: number) {
  let i = 0
  const codes: Record<string, number> = {}
  const r = await autocannon({
    url,
    connections: 8,
    amount: n,
    requests: [
      {
        method: 'PATCH',
        path: `/v1/users/${userId}/metadata`,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ public_metadata: { burst: ++i } }),
        }),
        onResponse: (status) => {
          codes[status] = (codes[status] ?? 0) + 1
        },
      },
    ],
  })
  return { ok: r['2xx'], bad: r.errors + r.non2xx, errors: r.errors, timeouts: r.timeouts, codes }
}
