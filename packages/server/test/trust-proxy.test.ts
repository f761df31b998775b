import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'forwarded for whom'

/** The IPs the sessions of a signed-in browser record (Clerk's `latest_activity.ip_address`). */
async function sessionIps(b: BrowserClient): Promise<string[]> {
  const r = await b.get('/v1/me/sessions/active')
  expect(r.status).toBe(200)
  return r.json.map(
    (s: { latest_activity: { ip_address: string } }) => s.latest_activity.ip_address,
  )
}

// Security issue "Brute force and lockout abuse": with LATCHKEY_TRUST_PROXY=on the left-most
// X-Forwarded-For entry, which the client writes itself, was the client IP.
describe.each(DIALECTS)('behind a trusted proxy (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    // The test connects from 127.0.0.1, so it plays the reverse proxy.
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1' },
    })
    await server.services.users.create({
      emailAddress: ['proxied@example.com'],
      password: PASSWORD,
    })
  })
  afterAll(() => server.close())

  /** What a proxy that appends to X-Forwarded-For (nginx, most balancers) passes on. */
  const through = (clientWrote: string, clientIp: string) =>
    new BrowserClient(server.url, undefined, { 'x-forwarded-for': `${clientWrote}, ${clientIp}` })

  it('a client-written X-Forwarded-For entry does not escape the per-IP limit', async () => {
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) {
      const r = await through(`1.2.3.${i}`, '203.0.113.50').post('/v1/client/sign_ins', {
        identifier: 'proxied@example.com',
      })
      statuses.push(r.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
    // The client the proxy saw is limited; another client is not.
    const other = await through('1.2.3.1', '203.0.113.51').post('/v1/client/sign_ins', {
      identifier: 'proxied@example.com',
    })
    expect(other.status).toBe(200)
  })

  it('the session records the client IP the proxy saw, not the one the client wrote', async () => {
    const b = through('1.2.3.4', '203.0.113.60')
    await b.signIn('proxied@example.com', PASSWORD)
    expect(await sessionIps(b)).toEqual(['203.0.113.60'])
  })

  it('the OAuth discovery document follows LATCHKEY_URL, not X-Forwarded-Proto or -Host', async () => {
    const r = await fetchJson(`${server.url}/oauth/.well-known/openid-configuration`, {
      headers: {
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-for': '203.0.113.70',
      },
    })
    expect(r.status).toBe(200)
    expect(r.json.issuer).toBe(`${server.url}/oauth`)
    for (const key of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint'])
      expect(r.json[key], key).toMatch(new RegExp(`^${server.url}/oauth/`))
  })
})

describe.each(DIALECTS)(
  'a connection from an address that is not a listed proxy (%s)',
  (dialect) => {
    let server: TestServer
    beforeAll(async () => {
      server = await createTestServer(dialect, {
        fake: true,
        env: { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '10.0.0.1' },
      })
      await server.services.users.create({
        emailAddress: ['direct@example.com'],
        password: PASSWORD,
      })
    })
    afterAll(() => server.close())

    it('has its X-Forwarded-For ignored: it is limited and recorded as itself', async () => {
      const statuses: number[] = []
      for (let i = 1; i <= 6; i++) {
        const b = new BrowserClient(server.url, undefined, { 'x-forwarded-for': `198.51.100.${i}` })
        statuses.push(
          (await b.post('/v1/client/sign_ins', { identifier: 'direct@example.com' })).status,
        )
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
      ;(server.clock as { advance(ms: number): void }).advance(11_000)
      const b = new BrowserClient(server.url, undefined, { 'x-forwarded-for': '198.51.100.9' })
      await b.signIn('direct@example.com', PASSWORD)
      expect(await sessionIps(b)).toEqual(['127.0.0.1'])
    })
  },
)

describe.each(DIALECTS)('behind a proxy that terminates TLS (%s)', (dialect) => {
  let server: TestServer
  let local: string
  beforeAll(async () => {
    server = await createTestServer(dialect, {
      env: { LATCHKEY_URL: 'https://auth.example.com', LATCHKEY_TRUST_PROXY: '127.0.0.1' },
    })
    local = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`
  })
  afterAll(() => server.close())

  it('the OAuth provider takes https from LATCHKEY_URL: its endpoints and Secure cookies', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: local })
    const app = await clerk.oauthApplications.create({
      name: 'Behind TLS',
      redirectUris: ['https://app.example.com/callback'],
      scopes: 'profile',
    })
    // The proxy says http (a misconfigured one, or a client's own header): it changes nothing.
    const headers = { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'internal:4000' }
    const doc = await fetchJson(`${local}/oauth/.well-known/openid-configuration`, { headers })
    expect(doc.json.issuer).toBe('https://auth.example.com/oauth')
    expect(doc.json.token_endpoint).toBe('https://auth.example.com/oauth/token')
    const authorize = new URL(`${local}/oauth/authorize`)
    authorize.search = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: 'https://app.example.com/callback',
      scope: 'profile',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString()
    const r = await fetch(authorize, { headers, redirect: 'manual' })
    expect(r.status).toBe(303)
    const cookies = r.headers.getSetCookie()
    expect(cookies.length).toBeGreaterThan(0)
    for (const c of cookies) expect(c).toMatch(/; secure/i)
  })
})
