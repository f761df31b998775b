import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: a default avatar served by Latchkey (no `image_url: ""`), and
// `/v1/me/profile_image` as clerk-js's `setProfileImage` sends it: a multipart part named
// `file` for a File or Blob, a base64 body (application/octet-stream) for a string.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64')

/** POSTs as clerk-js does (FormData or a string body), with the browser's cookie and Origin. */
async function upload(browser: BrowserClient, body: FormData | string) {
  const headers: Record<string, string> = {
    origin: APP,
    cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
  }
  if (typeof body === 'string') headers['content-type'] = 'application/octet-stream'
  const res = await fetch(`${browser.baseUrl}/v1/me/profile_image`, {
    method: 'POST',
    headers,
    body,
  })
  return { status: res.status, json: (await res.json()) as Json }
}

const form = (bytes: Uint8Array, type: string, name = 'avatar.png') => {
  const f = new FormData()
  f.append('file', new Blob([bytes], { type }), name)
  return f
}

describe.each(DIALECTS)('profile images (%s)', (dialect) => {
  let server: TestServer
  let other: TestServer
  let browser: BrowserClient

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      sqliteFile: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
    })
    // A second server on the same database: a cluster serves every image from every process.
    other = await createTestServer(dialect, { shareDatabaseWith: server })
    browser = new BrowserClient(server.url, APP)
    await browser.signUp('ada@example.com', PASSWORD)
  })
  afterAll(async () => {
    await other.close()
    await server.close()
  })

  it('gives a user without an image the default avatar, served by Latchkey', async () => {
    const me = (await browser.get('/v1/me')).json.response
    expect(me.has_image).toBe(false)
    expect(me.image_url).toBe(`${server.url}/images/avatar_placeholder.svg`)
    const res = await fetch(me.image_url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/svg+xml')
    expect(await res.text()).toMatch(/^<svg /)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.getUser(me.id)
    expect([user.imageUrl, user.hasImage]).toEqual([me.image_url, false])
  })

  it('stores an uploaded PNG, served from every server with its type and a long cache', async () => {
    const r = await upload(browser, form(PNG, 'image/png'))
    expect(r.status).toBe(200)
    expect(r.json.response).toMatchObject({ object: 'image', name: 'avatar.png' })
    expect(specErrors('Client.ClientWrappedImage', r.json)).toEqual([])
    const url = r.json.response.public_url
    expect(url).toBe(`${server.url}/images/${r.json.response.id}`)
    expect(r.json.client.sessions[0].user).toMatchObject({ image_url: url, has_image: true })
    for (const base of [server.url, other.url]) {
      // Clerk's UI loads avatars with crossorigin="anonymous": CORS, without credentials.
      const res = await fetch(url.replace(server.url, base), { headers: { origin: APP } })
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/png')
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true)
    }
  })

  it('types an image by its bytes, not by what the upload claims', async () => {
    const r = await upload(browser, form(GIF, 'image/png', 'really-a.gif'))
    expect(r.status).toBe(200)
    const res = await fetch(r.json.response.public_url)
    expect(res.headers.get('content-type')).toBe('image/gif')
  })

  it('refuses what is not an image, or too large, and keeps the current image', async () => {
    const before = (await browser.get('/v1/me')).json.response.image_url
    const html = new TextEncoder().encode('<html><script>alert(1)</script></html>')
    const notImage = await upload(browser, form(html, 'image/png'))
    expect(notImage.status).toBe(422)
    expect(notImage.json.errors[0]).toMatchObject({
      code: 'form_param_format_invalid',
      meta: { param_name: 'file' },
    })
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')
    expect((await upload(browser, form(svg, 'image/svg+xml'))).status).toBe(422)
    const huge = Buffer.alloc(10_000_001)
    PNG.copy(huge)
    const tooLarge = await upload(browser, form(huge, 'image/png'))
    expect(tooLarge.status).toBe(422)
    expect(tooLarge.json.errors[0].meta.param_name).toBe('file')
    const noFile = new FormData()
    noFile.append('other', 'x')
    expect((await upload(browser, noFile)).json.errors[0]).toMatchObject({
      code: 'form_param_missing',
      meta: { param_name: 'file' },
    })
    expect((await browser.get('/v1/me')).json.response.image_url).toBe(before)
  })

  it('cuts off a chunked upload past the limit (413), and keeps the current image', async () => {
    const before = await server.snapshot()
    for (const type of ['application/octet-stream', 'multipart/form-data; boundary=x']) {
      // No Content-Length: the limit must hold on the bytes as they arrive.
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 11; i++) c.enqueue(new Uint8Array(1_000_000).fill(65))
          c.close()
        },
      })
      const res = await fetch(`${server.url}/v1/me/profile_image`, {
        method: 'POST',
        headers: {
          origin: APP,
          'content-type': type,
          cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body,
        duplex: 'half',
      } as RequestInit)
      expect(res.status, type).toBe(413)
      expect(((await res.json()) as Json).errors[0].code).toBe('request_body_too_large')
    }
    expect(await server.snapshot()).toEqual(before)
  })

  it('serves an HTML page behind a GIF signature as image/gif, never as a document', async () => {
    const polyglot = Buffer.concat([GIF.subarray(0, 6), Buffer.from('<script>alert(1)</script>')])
    const r = await upload(browser, form(polyglot, 'text/html', 'page.html'))
    expect(r.status).toBe(200)
    const res = await fetch(r.json.response.public_url)
    expect(res.headers.get('content-type')).toBe('image/gif')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
  })

  it('takes a base64 string (a data: URL too) as an octet-stream body', async () => {
    const r = await upload(browser, `data:image/png;base64,${PNG.toString('base64')}`)
    expect(r.status).toBe(200)
    const res = await fetch(r.json.response.public_url)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect((await upload(browser, 'not base64 !')).status).toBe(422)
  })

  it('refuses an upload from a browser that is signed out', async () => {
    const stranger = new BrowserClient(server.url, APP)
    const r = await upload(stranger, form(PNG, 'image/png'))
    expect(r.status).toBe(401)
  })

  it('DELETE removes it: the default avatar is back and the old URL is gone', async () => {
    const old = (await browser.get('/v1/me')).json.response.image_url
    const r = await browser.post('/v1/me/profile_image?_method=DELETE')
    expect(r.status).toBe(200)
    expect(r.json.response).toEqual({ object: 'image', deleted: true })
    expect(specErrors('Client.ClientWrappedDeletedObject', r.json)).toEqual([])
    const me = r.json.client.sessions[0].user
    expect([me.has_image, me.image_url]).toEqual([
      false,
      `${server.url}/images/avatar_placeholder.svg`,
    ])
    expect((await fetch(old)).status).toBe(404)
    expect((await browser.post('/v1/me/profile_image?_method=DELETE')).status).toBe(404)
  })
})
