import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:3000'

/**
 * Through a relative `proxyUrl` the Frontend API is on the app's own origin, and clerk-js's
 * `GET /v1/client` is a same-origin GET, which browsers send without `Origin` (issue #15). The
 * session's `last_active_token` then takes `azp` from `Referer` when `Sec-Fetch-Site` says the
 * page is same-origin, and from nothing else.
 */
describe.each(DIALECTS)('azp for same-origin GETs through a proxy (%s)', (dialect) => {
  let server: TestServer
  let fapi: BrowserClient

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    fapi = new BrowserClient(server.url, APP)
    await fapi.signUp('proxy@example.com', 'correct horse battery staple')
  })
  afterAll(() => server.close())

  const azpOf = async (headers: Record<string, string>) => {
    const res = await fetch(`${server.url}/v1/client`, {
      headers: { cookie: `__client=${fapi.cookies.get('__client')}`, ...headers },
    })
    const body = (await res.json()) as {
      client: { sessions: { last_active_token: { jwt: string } | null }[] }
    }
    const jwt = body.client.sessions[0]?.last_active_token?.jwt
    return jwt ? (decodeJwt(jwt).azp ?? null) : 'no token'
  }

  it('same-origin with a Referer: the page origin', async () => {
    expect(await azpOf({ 'sec-fetch-site': 'same-origin', referer: `${APP}/dashboard?x=1` })).toBe(
      APP,
    )
  })

  it('Origin, when sent, wins', async () => {
    expect(
      await azpOf({ origin: APP, 'sec-fetch-site': 'same-origin', referer: 'http://x.test/' }),
    ).toBe(APP)
  })

  it('a Referer without Sec-Fetch-Site: same-origin names nothing', async () => {
    expect(await azpOf({ referer: `${APP}/` })).toBeNull()
    expect(await azpOf({ 'sec-fetch-site': 'cross-site', referer: `${APP}/` })).toBeNull()
    expect(await azpOf({ 'sec-fetch-site': 'same-origin', referer: 'not a url' })).toBeNull()
  })

  it('a Referer on an origin the instance does not allow gets no token for it', async () => {
    expect(
      await azpOf({ 'sec-fetch-site': 'same-origin', referer: 'https://stranger.example/' }),
    ).toBe('no token')
  })
})
