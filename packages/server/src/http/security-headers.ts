import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet from 'helmet'

/**
 * Helmet's response headers for this server's documents (HTML pages, scripts, images),
 * computed once. (The Fastify plugin rebuilds Helmet's middleware, CSP parsing included, on
 * every request: 5 % of a token mint's CPU.) Over plain http (local development) HSTS and
 * upgrade-insecure-requests would only break.
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

/**
 * The headers a JSON API answer needs (OWASP's REST Security Cheat Sheet): no sniffing, never
 * framed, nothing loads or runs if the answer is opened as a page, HSTS over https. The rest
 * of Helmet's set governs documents (an answer navigates nowhere, so even a Referrer-Policy
 * would govern nothing): read by `fetch`, it gains nothing, and it was most of the bytes of a
 * token response's headers. (`Cache-Control: no-store` on authenticated answers
 * is set by http/define-route.ts on every answer a route does not mark cacheable.)
 */
export function apiSecurityHeaders(https: boolean): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    ...(https
      ? {
          'strict-transport-security': securityHeaders(true)['strict-transport-security'] as string,
        }
      : {}),
  }
}

const OWN_DOCUMENT_HEADERS = new WeakSet<object>()

/**
 * Marks an answer whose route set every security header itself (the dashboard: never framed at
 * all, where Helmet's document set would allow its own origin): the document set is not added.
 */
export function keepOwnSecurityHeaders(reply: object): void {
  OWN_DOCUMENT_HEADERS.add(reply)
}

/** Whether `keepOwnSecurityHeaders` was called for this answer. */
export function keepsOwnSecurityHeaders(reply: object): boolean {
  return OWN_DOCUMENT_HEADERS.has(reply)
}

/** Whether a response's `Content-Type` is JSON (`application/json`, `application/*+json`). */
export function isJsonContentType(type: unknown): boolean {
  if (typeof type !== 'string') return false
  const essence = type.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return (
    essence === 'application/json' ||
    (essence.startsWith('application/') && essence.endsWith('+json'))
  )
}
