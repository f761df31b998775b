import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue #15, local development through the app's dev server (a relative proxyUrl): the browser's
 * calls are same-origin, so its GETs carry no Origin, only a Referer. The session token Clerk's
 * SDKs take from last_active_token must still name the app in `azp`, for backends that check
 * authorizedParties; a Referer from an origin the instance does not allow gets no token.
 */
const APP = 'http://127.0.0.1:5173'
const PASSWORD = 'proxied passphrase 42'

describe.each(DIALECTS)('the origin of a proxied browser (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sessionId: string

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    sessionId = await browser.signUp('proxied@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  const lastActive = async (headers: Record<string, string>) => {
    const same = new BrowserClient(server.url, undefined, headers)
    same.cookies = browser.cookies
    const client = (await same.get('/v1/client')).json.response
    return client.sessions.find((s: Json) => s.id === sessionId)?.last_active_token
  }

  it('a GET with only a Referer gets a token whose azp is that page’s origin', async () => {
    const token = await lastActive({ referer: `${APP}/some/page?x=1` })
    expect(decodeJwt(token.jwt)).toMatchObject({ sid: sessionId, azp: APP })
  })

  it('a Referer from an origin that is not allowed gets none; a malformed one counts as absent', async () => {
    expect(await lastActive({ referer: 'https://evil.example/page' })).toBeNull()
    const token = await lastActive({ referer: 'not a url' })
    expect(decodeJwt(token.jwt).azp).toBeUndefined()
  })

  it('Origin wins over Referer', async () => {
    const token = await lastActive({ origin: APP, referer: 'https://evil.example/' })
    expect(decodeJwt(token.jwt).azp).toBe(APP)
  })

  it('a state-changing call with only a Referer must come from an allowed origin, as with Origin', async () => {
    // Browsers send Origin on every such call, so only a non-browser caller sends a Referer
    // alone: it gets no token (nor template token) naming a stranger in azp, no environment
    // pointing at one, and no change made on its behalf.
    const template = await fetch(`${server.url}/v1/jwt_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'convex', claims: { aud: 'convex' } }),
    })
    expect(template.status).toBe(200)
    const native = new BrowserClient(server.url, undefined, { referer: 'https://evil.example/x' })
    native.cookies = browser.cookies
    for (const path of [
      `/v1/client/sessions/${sessionId}/tokens`,
      `/v1/client/sessions/${sessionId}/tokens/convex`,
      '/v1/environment?_method=PATCH',
      `/v1/client/sessions/${sessionId}/end`,
    ]) {
      const r = await native.post(path)
      expect(r.status, path).toBe(403)
      expect(r.json.errors[0].code, path).toBe('origin_invalid')
    }
    const client = (await browser.get('/v1/client')).json.response
    expect(client.sessions.map((s: Json) => s.id)).toContain(sessionId)
    // From an allowed page, a Referer alone still names it; without either, no azp at all.
    const proxied = new BrowserClient(server.url, undefined, { referer: `${APP}/page` })
    proxied.cookies = browser.cookies
    expect(decodeJwt(await proxied.token(sessionId)).azp).toBe(APP)
    const bare = new BrowserClient(server.url)
    bare.cookies = browser.cookies
    expect(decodeJwt(await bare.token(sessionId)).azp).toBeUndefined()
  })
})
