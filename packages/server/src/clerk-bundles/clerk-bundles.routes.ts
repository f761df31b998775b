import { gunzip } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.schema.js'
import { acceptsGzip } from '../http/accepts-gzip.js'
import { VendoredBundles } from './vendored-bundles.js'

/** `/npm/@clerk/<pkg>@<x | x.y.z | latest>/<LICENSE | dist/file>`, nothing else (no `..`, `%`). */
const NPM_PATH =
  /^\/npm\/(@clerk\/[a-z][a-z-]*)@(\d+(?:\.\d+\.\d+)?|latest)\/(LICENSE|dist\/[A-Za-z0-9_.-]+)$/

/** An exact version's files never change; a major-version path moves when the setting does. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
const ALIAS = 'public, max-age=300'

/**
 * Clerk's browser bundles, at the paths Clerk's SDKs load them from on the Frontend API host
 * (`LATCHKEY_CLERK_BUNDLES`). Scripts are loaded with `crossorigin="anonymous"`, so the answer
 * allows any origin (it is public, and sent without credentials). Clerk's loaders set no
 * `integrity` attribute, so the SHA-256 ETag is the only digest the browser sees.
 */
export function clerkBundleRoutes(app: FastifyInstance, config: Config): void {
  const bundles = new VendoredBundles(config.clerkBundles)
  app.get('/npm/*', async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? ''
    const m = NPM_PATH.exec(path)
    const found = m && bundles.find(m[1] as string, m[2] as string, m[3] as string)
    if (!found) return reply.callNotFound()
    const { file, exact } = found
    reply
      .header('content-type', file.contentType)
      .header('cache-control', exact ? IMMUTABLE : ALIAS)
      .header('etag', file.etag)
      .header('vary', 'Accept-Encoding')
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send()
    const gz = await file.gzipped()
    if (acceptsGzip(req.headers['accept-encoding'])) {
      return reply.header('content-encoding', 'gzip').header('content-length', gz.length).send(gz)
    }
    const plain = await new Promise<Buffer>((resolve, reject) =>
      gunzip(gz, (error, out) => (error ? reject(error) : resolve(out))),
    )
    return reply.header('content-length', plain.length).send(plain)
  })
}
