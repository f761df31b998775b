import type { FastifyRequest } from 'fastify'

/**
 * Rewrites a request's `X-Forwarded-*` headers for code that reads them itself — oidc-provider's
 * Koa app, which runs with `proxy` on and so believes them from anyone — so that it sees what
 * Latchkey decided: the scheme and host of the public URL (`LATCHKEY_URL`, as Latchkey's own
 * routes and cookies use), and the client IP Fastify settled from the trusted proxies only
 * (`LATCHKEY_TRUST_PROXY`). Whatever a client writes into these headers is discarded, so the
 * provider's discovery document, its audience checks and its `Secure` cookie flag never follow
 * a header.
 */
export function forwardAsDecided(req: FastifyRequest, publicUrl: URL): void {
  const headers = req.raw.headers
  headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1)
  headers['x-forwarded-host'] = publicUrl.host
  headers['x-forwarded-for'] = req.ip
}
