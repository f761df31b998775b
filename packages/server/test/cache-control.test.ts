import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { routePatterns } from './helpers/routes.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue "Bad input and secrets at rest", item 4: authenticated answers (`/v1/client`, `/v1/me`,
 * every Backend API response) carried no `Cache-Control`, so a shared cache or the browser's
 * back/forward history could keep a user's data and tokens. Every Frontend and Backend API
 * answer is `no-store` now, errors included; the public documents stay cacheable.
 */
describe.each(DIALECTS)('Cache-Control (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sid: string
  let userId: string
  beforeAll(async () => {
    server = await createTestServer(dialect)
    browser = new BrowserClient(server.url)
    sid = await browser.signUp('cached@example.com', 'never in a cache 1')
    userId = (await browser.get('/v1/client')).json.response.sessions[0].user.id
  })
  afterAll(() => server.close())

  const bapi = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    })

  it('answers holding a user, a session or a token are no-store', async () => {
    const answers: Array<[string, Response | { status: number; headers: Headers }]> = [
      ['GET /v1/client', await browser.get('/v1/client')],
      ['GET /v1/me', await browser.get('/v1/me')],
      ['GET /v1/me/sessions/active', await browser.get('/v1/me/sessions/active')],
      ['POST …/tokens', await browser.post(`/v1/client/sessions/${sid}/tokens`)],
      [
        'POST /v1/me?_method=PATCH',
        await browser.post('/v1/me?_method=PATCH', { first_name: 'C' }),
      ],
      ['GET /v1/users', await bapi('/v1/users')],
      [`GET /v1/users/${userId}`, await bapi(`/v1/users/${userId}`)],
      ['GET /v1/sessions', await bapi(`/v1/sessions?user_id=${userId}`)],
      [
        'POST /v1/sessions/:id/tokens',
        await bapi(`/v1/sessions/${sid}/tokens`, { method: 'POST' }),
      ],
      [
        'POST /v1/users',
        await bapi('/v1/users', {
          method: 'POST',
          body: JSON.stringify({ email_address: ['new@example.com'] }),
        }),
      ],
    ]
    for (const [name, res] of answers)
      expect([name, res.status, res.headers.get('cache-control')]).toEqual([name, 200, 'no-store'])
  })

  it('errors of those APIs are no-store too', async () => {
    const signedOut = await new BrowserClient(server.url).get('/v1/me')
    expect([signedOut.status, signedOut.headers.get('cache-control')]).toEqual([401, 'no-store'])
    const badKey = await fetch(`${server.url}/v1/users`, {
      headers: { authorization: 'Bearer sk_live_not_a_real_key_0000000000' },
    })
    expect([badKey.status, badKey.headers.get('cache-control')]).toEqual([401, 'no-store'])
    const badBody = await bapi('/v1/users', { method: 'POST', body: '{"email_address": [' })
    expect([badBody.status, badBody.headers.get('cache-control')]).toEqual([400, 'no-store'])
  })

  it('every Frontend and Backend API route answers no-store, but the environment', async () => {
    const failures: string[] = []
    const routes = routePatterns(server.app).filter((r) => r.split(' ')[1]?.startsWith('/v1/'))
    expect(routes.length).toBeGreaterThan(50)
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string]
      const path = pattern
        .replace(':session_id', sid)
        .replace(':user_id', userId)
        .replace(/:\w+/g, 'x')
      const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${server.secretKey}`, cookie },
      })
      await res.text()
      // The environment may be cached; clerk-js's PATCH of it (pk_test_ keys) may not.
      const expected = pattern === '/v1/environment' && method !== 'PATCH' ? null : 'no-store'
      if (res.headers.get('cache-control') !== expected)
        failures.push(`${route} → ${res.status} ${res.headers.get('cache-control')}`)
    }
    expect(failures).toEqual([])
  })

  it('public documents stay cacheable', async () => {
    const jwks = await fetch(`${server.url}/.well-known/jwks.json`)
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300')
    const environment = await fetch(`${server.url}/v1/environment`)
    expect(environment.headers.get('cache-control')).toBeNull()
    const discovery = await fetch(`${server.url}/.well-known/openid-configuration`)
    expect(discovery.status).toBe(200)
    expect(discovery.headers.get('cache-control')).not.toBe('no-store')
  })
})
