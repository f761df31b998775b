import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardRoutes } from '../src/dashboard/dashboard.routes.js'

/*
 * Issue #20: how the server serves the built dashboard (packages/server/dist/dashboard/), here
 * from a folder the test writes: 503 naming `npm run build` until it exists, then index.html
 * for the app's paths (no-cache, strict CSP), hashed assets immutable, gzip, ETags, and a
 * missing asset not found rather than answered with HTML. (e2e/dashboard.test.ts serves the
 * real build in Chromium.)
 */
describe('serving the dashboard build', () => {
  let dir: string
  let app: FastifyInstance
  const INDEX =
    '<!doctype html><script type="module" src="/dashboard/assets/index-abc123.js"></script>'
  const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))})`

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'latchkey-dashboard-')), 'dashboard')
    app = Fastify()
    dashboardRoutes(app, { dir })
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers 503 with how to build it while the folder is missing', async () => {
    const r = await app.inject('/dashboard/')
    expect(r.statusCode).toBe(503)
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(r.body).toContain('npm run build')
  })

  it('serves the app for its paths, assets immutable, missing files not found', async () => {
    mkdirSync(join(dir, 'assets'), { recursive: true })
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT)
    writeFileSync(join(dir, 'index.html'), INDEX)
    for (const path of ['/dashboard/', '/dashboard/users', '/dashboard/users/user_123']) {
      const r = await app.inject(path)
      expect([path, r.statusCode, r.body]).toEqual([path, 200, INDEX])
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(r.headers['cache-control']).toBe('no-cache')
      const csp = String(r.headers['content-security-policy'])
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
    }
    const js = await app.inject({
      url: '/dashboard/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    })
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(js.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(js.rawPayload).toString()).toBe(SCRIPT)
    expect(js.rawPayload.length).toBeLessThan(SCRIPT.length / 10)
    const again = await app.inject({
      url: '/dashboard/assets/index-abc123.js',
      headers: { 'if-none-match': String(js.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
    for (const path of [
      '/dashboard/assets/index-old.js',
      '/dashboard/favicon.png',
      '/dashboard/assets/x',
    ])
      expect([path, (await app.inject(path)).statusCode]).toEqual([path, 404])
    const plain = await app.inject('/dashboard/assets/index-abc123.js')
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body).toBe(SCRIPT)
  })

  it('sends /dashboard and /admin to /dashboard/', async () => {
    for (const path of ['/dashboard', '/admin']) {
      const r = await app.inject(path)
      expect([r.statusCode, r.headers.location]).toEqual([302, '/dashboard/'])
    }
  })

  it('picks up a rebuild under a running server', async () => {
    const next = INDEX.replace('abc123', 'def456')
    writeFileSync(join(dir, 'assets', 'index-def456.js'), SCRIPT)
    writeFileSync(join(dir, 'index.html'), next)
    // A later mtime than the first build's, whatever the file system's clock resolution.
    const later = new Date(Date.now() + 5000)
    utimesSync(join(dir, 'index.html'), later, later)
    expect((await app.inject('/dashboard/')).body).toBe(next)
    expect((await app.inject('/dashboard/assets/index-def456.js')).statusCode).toBe(200)
  })
})
