import { createClerkClient, verifyToken } from '@clerk/backend'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: Clerk's React SDKs read `sessionClaims` from `last_active_token` and throw
// `Invalid state` after sign-in when it is null.
const APP = 'http://app.localhost:5173'
const OTHER_APP = 'http://admin.localhost:5174'
const PASSWORD = 'a long enough passphrase'

type FakeClock = { advance(ms: number): void }

const tokenOf = (client: Json, sessionId: string): Json =>
  client.sessions.find((s: Json) => s.id === sessionId)?.last_active_token

describe.each(DIALECTS)('last_active_token (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sessionId: string

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      env: { LATCHKEY_ALLOWED_ORIGINS: `${APP},${OTHER_APP}` },
    })
    browser = new BrowserClient(server.url, APP)
    sessionId = await browser.signUp('ada@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  it("is a session token for the requesting origin that @clerk/backend's verifyToken accepts", async () => {
    const client = (await browser.get('/v1/client')).json.response
    const token = tokenOf(client, sessionId)
    expect(Object.keys(token).sort()).toEqual(['jwt', 'object'])
    expect(token.object).toBe('token')
    const claims = await verifyToken(token.jwt, {
      secretKey: server.secretKey,
      apiUrl: server.url,
      authorizedParties: [APP],
    })
    expect(claims).toMatchObject({ sid: sessionId, sub: client.sessions[0].user.id, azp: APP })
    expect(claims.exp - claims.iat).toBe(60)
  })

  it('is on the sign-up, sign-in and touch responses too (every rendering of an active session)', async () => {
    const fresh = new BrowserClient(server.url, APP)
    const up = await fresh.post('/v1/client/sign_ups', {
      email_address: 'grace@example.com',
      password: PASSWORD,
    })
    const upSession = up.json.response.created_session_id
    expect(decodeJwt(tokenOf(up.json.client, upSession).jwt).sid).toBe(upSession)
    await fresh.post('/v1/client/sessions?_method=DELETE')
    const inSession = await fresh.signIn('grace@example.com', PASSWORD)
    const touched = await fresh.post(`/v1/client/sessions/${inSession}/touch`)
    expect(decodeJwt(touched.json.response.last_active_token.jwt).sid).toBe(inSession)
    expect(decodeJwt(tokenOf(touched.json.client, inSession).jwt).sid).toBe(inSession)
  })

  it('is reused across renderings instead of signed each time, and names each origin its own', async () => {
    const a = tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt
    const b = tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt
    expect(b).toBe(a)
    const other = await browser.send('GET', '/v1/client', undefined, OTHER_APP)
    const c = tokenOf(((await other.json()) as Json).response, sessionId).jwt
    expect(c).not.toBe(a)
    expect(decodeJwt(c).azp).toBe(OTHER_APP)
  })

  it('reuses the token POST …/tokens just minted', async () => {
    const minted = await browser.token(sessionId)
    expect(tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt).toBe(minted)
  })

  it('is none for an origin the instance does not allow, and has no azp without an Origin', async () => {
    const stranger = await browser.send('GET', '/v1/client', undefined, 'https://evil.example')
    expect(tokenOf(((await stranger.json()) as Json).response, sessionId)).toBeNull()
    const native = new BrowserClient(server.url)
    native.cookies = browser.cookies
    const jwt = tokenOf((await native.get('/v1/client')).json.response, sessionId).jwt
    expect(decodeJwt(jwt).azp).toBeUndefined()
    expect(decodeJwt(jwt).sid).toBe(sessionId)
  })

  it('is signed afresh once the claims it carries change (custom claims, the user they read)', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const before = tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt
    const set = await fetchJson(`${server.url}/v1/instance/session_token`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ claims: { name: '{{user.first_name}}' } }),
    })
    expect(set.status).toBe(200)
    const withClaim = tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt
    expect(withClaim).not.toBe(before)
    expect(decodeJwt(withClaim).name).toBeNull()
    const userId = decodeJwt(withClaim).sub as string
    await clerk.users.updateUser(userId, { firstName: 'Ada' })
    const renamed = tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt
    expect(decodeJwt(renamed).name).toBe('Ada')
    // Unchanged claims: the new token is reused again.
    expect(tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt).toBe(renamed)
  })

  it('is null on a session that ended, and a revoked session is not rendered at all', async () => {
    const other = new BrowserClient(server.url, APP)
    const s1 = await other.signUp('lin@example.com', PASSWORD)
    const ended = await other.post(`/v1/client/sessions/${s1}/end`)
    expect(ended.json.response.status).toBe('ended')
    expect(ended.json.response.last_active_token).toBeNull()
    const s2 = await other.signIn('lin@example.com', PASSWORD)
    expect(tokenOf((await other.get('/v1/client')).json.response, s2)).toBeTruthy()
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.sessions.revokeSession(s2)
    expect((await other.get('/v1/client')).json.response.sessions).toEqual([])
  })

  it('is gone at once when the user is banned, locked or deleted, though one was just handed out', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const end = {
      banned: (id: string) => clerk.users.banUser(id),
      locked: (id: string) => clerk.users.lockUser(id),
      deleted: (id: string) => clerk.users.deleteUser(id),
    }
    for (const [what, act] of Object.entries(end)) {
      const b = new BrowserClient(server.url, APP)
      const sid = await b.signUp(`${what}@example.com`, PASSWORD)
      const cached = tokenOf((await b.get('/v1/client')).json.response, sid)
      expect(tokenOf((await b.get('/v1/client')).json.response, sid)).toEqual(cached)
      await act(decodeJwt(cached.jwt).sub as string)
      const after = (await b.get('/v1/client')).json.response
      expect(after.sessions, what).toEqual([])
      expect(JSON.stringify(after), what).not.toContain(cached.jwt)
      // Nor can the browser mint another: the session ended with its user (or went with it).
      const mint = await b.post(`/v1/client/sessions/${sid}/tokens`)
      expect(mint.json.errors[0].code, what).toBe(
        what === 'deleted' ? 'resource_not_found' : 'session_not_active',
      )
    }
  })
})

describe.each(DIALECTS)('last_active_token on a moving clock (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sessionId: string

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true, env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    sessionId = await browser.signUp('ada@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  const current = async () =>
    tokenOf((await browser.get('/v1/client')).json.response, sessionId).jwt

  it('is reused for 10 s of its 60 s, then replaced', async () => {
    const clock = server.clock as unknown as FakeClock
    const first = await current()
    clock.advance(9_000)
    expect(await current()).toBe(first)
    clock.advance(1_500)
    const second = await current()
    expect(second).not.toBe(first)
    const { iat, exp } = decodeJwt(second)
    expect(Number(exp) - Number(iat)).toBe(60)
    expect(Number(iat) - Number(decodeJwt(first).iat)).toBeGreaterThanOrEqual(10)
  })
})

describe.each(DIALECTS)('last_active_token with claims too large for a token (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  it('is null, and the client still renders; the mint says why', async () => {
    const browser = new BrowserClient(server.url, APP)
    const sessionId = await browser.signUp('big@example.com', PASSWORD, {
      unsafe_metadata: JSON.stringify({ note: 'x'.repeat(5000) }),
    })
    const set = await fetchJson(`${server.url}/v1/instance/session_token`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ claims: { meta: '{{user.unsafe_metadata}}' } }),
    })
    expect(set.status).toBe(200)
    const r = await browser.get('/v1/client')
    expect(r.status).toBe(200)
    expect(tokenOf(r.json.response, sessionId)).toBeNull()
    const mint = await browser.post(`/v1/client/sessions/${sessionId}/tokens`)
    expect(mint.status).toBe(422)
    expect(mint.json.errors[0].code).toBe('token_too_large')
  })
})
