import type Provider from 'oidc-provider'
import type { FailureLimiter } from './failure-limiter.js'

/** oidc-provider's routes that authenticate the client (Clerk's `/oauth/token*` paths). */
const CLIENT_AUTH_ROUTES = ['token', 'introspection', 'revocation'] as const

/**
 * Limits failed client authentications at the OAuth provider, per client IP: a Koa middleware
 * around oidc-provider's routes, so a failure is counted before its 401 is sent. A blocked IP's
 * calls to those routes are answered 429 with `Retry-After` before the provider reads them, so
 * no secret is checked while it waits. `ctx.ip` is the IP Latchkey trusts (http/forwarded.ts).
 */
export function limitOAuthClientAuthentication(provider: Provider, limiter: FailureLimiter): void {
  // The provider is mounted at its issuer's path (/oauth): it sees the paths below it.
  const mount = new URL(provider.issuer).pathname.replace(/\/$/, '')
  const paths = new Set(
    CLIENT_AUTH_ROUTES.map((route) => provider.pathFor(route).slice(mount.length) || '/'),
  )
  const routes = new Set<string>(CLIENT_AUTH_ROUTES)
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && paths.has(ctx.path)) {
      const wait = limiter.retryAfter(ctx.ip)
      if (wait > 0) {
        ctx.status = 429
        ctx.set('retry-after', String(wait))
        ctx.set('cache-control', 'no-store')
        if (ctx.get('origin')) ctx.set('access-control-allow-origin', '*')
        // RFC 6749 has no rate-limit code; temporarily_unavailable (§4.1.2.1) is the transient one.
        ctx.body = {
          error: 'temporarily_unavailable',
          error_description: `too many failed client authentications from this address; retry in ${wait} seconds`,
        }
        return
      }
    }
    await next()
    const failed = ctx.status === 401 && (ctx.body as { error?: unknown } | undefined)?.error
    if (failed === 'invalid_client' && routes.has(ctx.oidc?.route ?? ''))
      await limiter.recordFailure(ctx.ip)
  })
}
