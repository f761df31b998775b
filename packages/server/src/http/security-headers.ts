import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'

/**
 * Helmet's response headers for this server, computed once. (The Fastify plugin rebuilds
 * Helmet's middleware, CSP parsing included, on every request: 5 % of a token mint's CPU.)
 * Over plain http (local development) HSTS and upgrade-insecure-requests would only break.
 *
 * `Referrer-Policy: same-origin` rather than Helmet's `no-referrer`: under `no-referrer` a
 * browser sends `Origin: null` on a page's form posts (Fetch §3.1, "append a request Origin
 * header"), so the hosted forms could not tell their own posts from a sandboxed frame's.
 * `same-origin` keeps our origin on our own requests and sends nothing to other sites (the
 * interaction URLs and `redirect_url`s never leave in a `Referer`).
 */
export function securityHeaders(https: boolean): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader(name: string, value: string | number) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader() {},
  }
  helmet({
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: https,
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { upgradeInsecureRequests: https ? [] : null },
    },
  })({} as IncomingMessage, res as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error
  })
  return headers
}
