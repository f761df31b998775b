import { verifyToken } from '@clerk/backend'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: over plain http Clerk's SDKs reach the Frontend API through the app's relative
// `proxyUrl`, so `GET /v1/client` is a same-origin request for the browser and carries no
// `Origin`. Its `last_active_token` — what `getToken()` first returns — must still name the app
// in `azp`, or `@clerk/backend`'s `verifyToken({ authorizedParties })` refuses it.
const APP = 'http://127.0.0.1:5173'
const PASSWORD = 'a long enough passphrase'

const tokenOf = (res: Json, sessionId: string): Json =>
  res.response.sessions.find((s: Json) => s.id === sessionId)?.last_active_token

describe.each(DIALECTS)('same-origin GETs through an app proxy (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sessionId: string

  /** The browser's same-origin GET as it arrives through the proxy: no Origin, a Referer. */
  const proxiedGet = async (headers: Record<string, string>) => {
    const through = new BrowserClient(server.url, undefined, headers)
    through.cookies = browser.cookies
    return (await through.send('GET', '/v1/client')).json() as Promise<Json>
  }

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    sessionId = await browser.signUp('ada@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  it('names the Referer’s origin in azp, and verifyToken with authorizedParties accepts it', async () => {
    const res = await proxiedGet({
      'sec-fetch-site': 'same-origin',
      referer: `${APP}/dashboard?x=1`,
    })
    const { jwt } = tokenOf(res, sessionId)
    const claims = await verifyToken(jwt, {
      secretKey: server.secretKey,
      apiUrl: server.url,
      authorizedParties: [APP],
    })
    expect(claims).toMatchObject({ sid: sessionId, azp: APP })
  })

  it('gives no token for a Referer on an origin the instance does not allow', async () => {
    const res = await proxiedGet({
      'sec-fetch-site': 'same-origin',
      referer: 'https://evil.example/',
    })
    expect(tokenOf(res, sessionId)).toBeNull()
  })

  it('reads no Referer without Sec-Fetch-Site: same-origin (a non-browser client, a cross-site page)', async () => {
    const cases: Record<string, string>[] = [
      { referer: `${APP}/` },
      { 'sec-fetch-site': 'cross-site', referer: `${APP}/` },
      { 'sec-fetch-site': 'same-origin', referer: 'not a url' },
    ]
    for (const headers of cases) {
      const { jwt } = tokenOf(await proxiedGet(headers), sessionId)
      expect(decodeJwt(jwt).azp).toBeUndefined()
    }
  })

  it('lets an Origin header win over the Referer', async () => {
    const through = new BrowserClient(server.url, APP, {
      'sec-fetch-site': 'same-origin',
      referer: 'https://evil.example/',
    })
    through.cookies = browser.cookies
    const res = (await (await through.send('GET', '/v1/client')).json()) as Json
    expect(decodeJwt(tokenOf(res, sessionId).jwt).azp).toBe(APP)
  })
})
