import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { acceptsGzip } from '../http/accepts-gzip.js'
import { keepOwnSecurityHeaders, securityHeaders } from '../http/security-headers.js'
import { type DashboardFile, DashboardFiles, defaultDashboardDir } from './dashboard-files.js'

const PREFIX = '/dashboard/'

/**
 * The app's documents may load only this server's scripts and styles and talk only to this
 * origin (the Backend API it calls); no inline script, never framed (clickjacking an operator
 * into "Delete user"). `img-src data:` is the empty favicon.
 */
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Vite names every built asset by its content hash, so a URL's bytes never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** index.html names the current assets: always revalidated (it has an ETag, so that is cheap). */
const REVALIDATE = 'no-cache'

const NOT_BUILT =
  'The dashboard is not built. Run `npm run build` (or `npm start`, which builds it), then reload.\n'

/**
 * The operator dashboard (packages/dashboard), built into packages/server/dist/dashboard/, at
 * /dashboard/*, with a fallback to index.html for the app's own paths (/dashboard/users/…).
 * Public files: the build holds no secret and no credential, the same bytes for everyone; what
 * an operator can do is decided by the Backend API, on the credential each call carries.
 * `/admin` (and `/dashboard` without its slash) lead to it.
 */
export function dashboardRoutes(
  app: FastifyInstance,
  opts: { dir?: string; https?: boolean } = {},
): void {
  const files = new DashboardFiles(opts.dir ?? defaultDashboardDir())
  // Helmet's document set, with the app's own CSP and framing refused outright.
  const headers = {
    ...securityHeaders(opts.https ?? false),
    'content-security-policy': DASHBOARD_CSP,
    'x-frame-options': 'DENY',
  }
  const toApp = (_req: FastifyRequest, reply: FastifyReply) => reply.redirect(PREFIX, 302)
  app.get('/admin', toApp)
  app.get('/dashboard', toApp)
  app.get('/dashboard/*', async (req, reply) => {
    const all = files.load()
    if (!all)
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT)
    const path = (req.url.split('?', 1)[0] ?? '').slice(PREFIX.length)
    const asset = path.startsWith('assets/')
    let file = all.get(path === '' ? 'index.html' : path)
    // The app's own paths are the app; a missing asset or file is not found (never HTML
    // served in place of a script).
    if (!file && !asset && !/\.[A-Za-z0-9]+$/.test(path)) file = all.get('index.html')
    if (!file) return reply.callNotFound()
    return send(req, reply, file, asset ? IMMUTABLE : REVALIDATE, headers)
  })
}

function send(
  req: FastifyRequest,
  reply: FastifyReply,
  file: DashboardFile,
  cache: string,
  headers: Record<string, string>,
) {
  keepOwnSecurityHeaders(reply)
  reply
    .headers(headers)
    .header('content-type', file.contentType)
    .header('cache-control', cache)
    .header('etag', file.etag)
    .header('vary', 'Accept-Encoding')
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send()
  if (acceptsGzip(req.headers['accept-encoding']))
    return reply.header('content-encoding', 'gzip').send(file.gzipped)
  return reply.send(file.body)
}
