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
})
