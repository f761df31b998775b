import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config/load-config.js'
import { createTestServer, type TestServer } from './helpers/test-server.js'

/*
 * Issue #15 §2: Clerk's browser bundles, vendored from the npm registry, served at the paths
 * Clerk's SDKs request. The copies must be the published files byte for byte: they are compared
 * with the pinned devDependencies' own files.
 */

const CLERK_JS = new URL('../../../node_modules/@clerk/clerk-js/dist/', import.meta.url)
const CLERK_UI = new URL('../../../node_modules/@clerk/ui/dist/', import.meta.url)
const published = (dir: URL, file: string) => readFileSync(new URL(file, dir))

describe('Clerk bundles at /npm/@clerk/…', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer('sqlite')
  })
  afterAll(() => server.close())

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'gzip', ...headers } })

  it("a major-version path (what @clerk/react 6 hot-loads) is 6.40.0's entry, briefly cacheable, for any origin", async () => {
    const res = await get('/npm/@clerk/clerk-js@6/dist/clerk.browser.js', {
      origin: 'http://app.example',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin')
    const body = Buffer.from(await res.arrayBuffer())
    expect(body.equals(published(CLERK_JS, 'clerk.browser.js'))).toBe(true)
    // Its chunks are fetched from its own exact version: the public path replaces the version.
    expect(body.toString()).toContain('"$16.40.0$3"')
  })

  it('every chunk of the browser entries is served at the exact version, immutable', async () => {
    const chunks = readdirSync(CLERK_JS).filter((f) =>
      /_clerk\.(legacy\.)?browser_\w{6}_6\.40\.0\.js$/.test(f),
    )
    expect(chunks.length).toBeGreaterThan(10)
    for (const f of [...chunks, 'clerk.browser.js', 'clerk.legacy.browser.js']) {
      const res = await get(`/npm/@clerk/clerk-js@6.40.0/dist/${f}`)
      expect(res.status, f).toBe(200)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(Buffer.from(await res.arrayBuffer()).equals(published(CLERK_JS, f)), f).toBe(true)
    }
  })

  it('@clerk/ui@1 (what clerk.load({ ui }) and @clerk/react load) is 1.34.0, with every chunk', async () => {
    const ui = await get('/npm/@clerk/ui@1/dist/ui.browser.js')
    expect(ui.status).toBe(200)
    const body = Buffer.from(await ui.arrayBuffer())
    expect(body.equals(published(CLERK_UI, 'ui.browser.js'))).toBe(true)
    expect(body.toString()).toContain('"$11.34.0$3"')
    const chunks = readdirSync(CLERK_UI).filter((f) => /_ui_\w{6}_1\.34\.0\.js$/.test(f))
    expect(chunks.length).toBeGreaterThan(100)
    for (const f of chunks) {
      const res = await get(`/npm/@clerk/ui@1.34.0/dist/${f}`)
      expect(res.status, f).toBe(200)
      expect(Buffer.from(await res.arrayBuffer()).equals(published(CLERK_UI, f)), f).toBe(true)
    }
  })

  it('@clerk/clerk-js@5 (what @clerk/clerk-react 5.61 hot-loads) is 5.128.0', async () => {
    const res = await get('/npm/@clerk/clerk-js@5/dist/clerk.browser.js')
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('"$15.128.0$3"')
    const manifest = JSON.parse(
      readFileSync(
        new URL('../vendor/npm/@clerk/clerk-js@5.128.0/manifest.json', import.meta.url),
        'utf8',
      ),
    )
    expect(manifest.files['dist/clerk.browser.js'].size).toBe(Buffer.byteLength(text))
    expect((await get('/npm/@clerk/clerk-js@5/dist/clerk.headless.browser.js')).status).toBe(200)
  })

  it('@latest (older script-tag snippets) is the newest configured version, briefly cacheable', async () => {
    const res = await get('/npm/@clerk/clerk-js@latest/dist/clerk.browser.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(
      Buffer.from(await res.arrayBuffer()).equals(published(CLERK_JS, 'clerk.browser.js')),
    ).toBe(true)
  })

  it('serves the MIT licence beside each package', async () => {
    for (const pkg of ['clerk-js@6.40.0', 'clerk-js@5.128.0', 'ui@1.34.0']) {
      const res = await get(`/npm/@clerk/${pkg}/LICENSE`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await res.text()).toMatch(/MIT License/)
    }
  })

  it('answers conditional requests with 304, and plain bytes to a client without gzip', async () => {
    const first = await get('/npm/@clerk/ui@1.34.0/dist/ui.browser.js')
    const etag = first.headers.get('etag') ?? ''
    expect(etag).toMatch(/^"[\w-]{43}"$/)
    const again = await get('/npm/@clerk/ui@1.34.0/dist/ui.browser.js', { 'if-none-match': etag })
    expect(again.status).toBe(304)
    // fetch always offers gzip; a raw request shows the identity encoding.
    const raw = await server.app.inject({
      url: '/npm/@clerk/clerk-js@6/dist/clerk.browser.js',
      headers: { 'accept-encoding': 'identity' },
    })
    expect(raw.statusCode).toBe(200)
    expect(raw.headers['content-encoding']).toBeUndefined()
    expect(raw.rawPayload.equals(published(CLERK_JS, 'clerk.browser.js'))).toBe(true)
    const gz = await server.app.inject({
      url: '/npm/@clerk/clerk-js@6/dist/clerk.browser.js',
      headers: { 'accept-encoding': 'br, gzip;q=0.5' },
    })
    expect(gunzipSync(gz.rawPayload).equals(published(CLERK_JS, 'clerk.browser.js'))).toBe(true)
  })

  it('404 for anything not vendored, and no way out of the vendor folder', async () => {
    for (const path of [
      '/npm/@clerk/clerk-js@6.39.0/dist/clerk.browser.js',
      '/npm/@clerk/clerk-js@7/dist/clerk.browser.js',
      '/npm/@clerk/clerk-js@next/dist/clerk.browser.js',
      '/npm/@clerk/clerk-js@6/dist/clerk.js', // the Node build is not vendored
      '/npm/@clerk/clerk-js@6/dist/clerk.native_6b1414_6.40.0.js',
      '/npm/@clerk/clerk-js@6/package.json',
      '/npm/@clerk/clerk-js@6/manifest.json',
      '/npm/@clerk/clerk-js@6/dist/clerk.browser.js.gz',
      '/npm/@clerk/clerk-js@6/dist/../manifest.json',
      '/npm/@clerk/clerk-js@6/dist/%2e%2e%2fmanifest.json',
      '/npm/@clerk/clerk-js@6/dist/..%2f..%2f..%2fpackage.json',
      '/npm/@clerk/backend@3/dist/index.js',
      '/npm/react@19/index.js',
    ]) {
      const res = await server.app.inject({ url: path })
      expect(res.statusCode, path).toBe(404)
      expect(res.headers['access-control-allow-origin'], path).toBeUndefined()
    }
  })

  it('LATCHKEY_CLERK_BUNDLES chooses what is served; off serves none; a bad value stops the boot', async () => {
    const off = await createTestServer('sqlite', { env: { LATCHKEY_CLERK_BUNDLES: 'off' } })
    try {
      const res = await off.app.inject({ url: '/npm/@clerk/clerk-js@6/dist/clerk.browser.js' })
      expect(res.statusCode).toBe(404)
    } finally {
      await off.close()
    }
    const only = await createTestServer('sqlite', {
      env: { LATCHKEY_CLERK_BUNDLES: '@clerk/ui@1.34.0' },
    })
    try {
      expect(
        (await only.app.inject({ url: '/npm/@clerk/ui@1/dist/ui.browser.js' })).statusCode,
      ).toBe(200)
      expect(
        (await only.app.inject({ url: '/npm/@clerk/clerk-js@6/dist/clerk.browser.js' })).statusCode,
      ).toBe(404)
    } finally {
      await only.close()
    }
    for (const [value, message] of [
      ['@clerk/clerk-js@6.39.0', /LATCHKEY_CLERK_BUNDLES: @clerk\/clerk-js@6.39.0 is not vendored/],
      ['clerk-js@6.40.0', /LATCHKEY_CLERK_BUNDLES: "clerk-js@6.40.0" is not @clerk/],
      ['@clerk/clerk-js@6', /is not @clerk\/<package>@<x.y.z>/],
      ['@clerk/clerk-js@6.40.0,@clerk/clerk-js@6.40.0', /two versions of @clerk\/clerk-js@6/],
      ['@clerk/clerk-js@../../x', /is not @clerk/],
    ] as const) {
      expect(() => loadConfig({ LATCHKEY_CLERK_BUNDLES: value })).toThrow(ConfigError)
      expect(() => loadConfig({ LATCHKEY_CLERK_BUNDLES: value })).toThrow(message)
    }
  })
})
