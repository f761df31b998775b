import { createPublicKey } from 'node:crypto'
import { verifyToken } from '@clerk/backend'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP_ORIGIN = 'http://app.localhost:5173'

describe.each(DIALECTS)('session tokens (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sessionId: string
  let userId: string

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP_ORIGIN } })
    browser = new BrowserClient(server.url, APP_ORIGIN)
    await browser.signUp('grace@example.com', 'a long enough passphrase')
    // Sign out, then sign in with a password: the token under test comes from a password sign-in.
    expect((await browser.post('/v1/client/sessions?_method=DELETE')).status).toBe(200)
    sessionId = await browser.signIn('grace@example.com', 'a long enough passphrase')
    const client = await browser.get('/v1/client')
    userId = client.json.response.sessions[0].user.id
  })
  afterAll(() => server.close())

  it('has Clerk v2 claims and an RS256 header with kid and typ', async () => {
    const jwt = await browser.token(sessionId)
    const header = decodeProtectedHeader(jwt)
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(header.kid).toMatch(/^ins_key_/)
    const { payload } = await jwtVerify(
      jwt,
      createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
      {
        issuer: server.url,
      },
    )
    expect(Object.keys(payload).sort()).toEqual([
      'azp',
      'exp',
      'fva',
      'iat',
      'iss',
      'jti',
      'nbf',
      'sid',
      'sts',
      'sub',
      'v',
    ])
    expect(payload).toMatchObject({
      azp: APP_ORIGIN,
      sid: sessionId,
      sub: userId,
      v: 2,
      sts: 'active',
    })
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(payload.iat! - payload.nbf!).toBe(5)
  })

  it("verifies with @clerk/backend's verifyToken against the remote JWKS (secretKey + apiUrl)", async () => {
    const jwt = await browser.token(sessionId)
    const claims = await verifyToken(jwt, {
      secretKey: server.secretKey,
      apiUrl: server.url,
      authorizedParties: [APP_ORIGIN],
    })
    expect(claims.sub).toBe(userId)
    expect(claims.sid).toBe(sessionId)
  })

  it('verifies networkless with a jwtKey PEM, and enforces authorizedParties', async () => {
    const jwk = server.services.keys.jwks().keys[0]
    const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString()
    const jwt = await browser.token(sessionId)
    const claims = await verifyToken(jwt, { jwtKey: pem, authorizedParties: [APP_ORIGIN] })
    expect(claims.sub).toBe(userId)
    await expect(
      verifyToken(jwt, { jwtKey: pem, authorizedParties: ['https://evil.example'] }),
    ).rejects.toThrow(/azp|authorized part/i)
  })

  it('verifies the way Convex and InstantDB do: discovery → jwks_uri → jwtVerify with issuer', async () => {
    const discovery = (await fetchJson(`${server.url}/.well-known/openid-configuration`)).json
    expect(discovery.issuer).toBe(server.url)
    for (const field of [
      'authorization_endpoint',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
      'id_token_signing_alg_values_supported',
    ]) {
      expect(discovery).toHaveProperty(field)
    }
    expect(discovery.id_token_signing_alg_values_supported).toContain('RS256')
    const jwt = await browser.token(sessionId)
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      algorithms: ['RS256'],
    })
    expect(payload.iss).toBe(discovery.issuer)
  })

  it('an expired token fails verification', async () => {
    const jwt = await browser.token(sessionId)
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
    const later = new Date(Date.now() + 61_000)
    await expect(jwtVerify(jwt, jwks, { issuer: server.url, currentDate: later })).rejects.toThrow(
      /exp/,
    )
  })

  it('the Backend API mints a token for a session and serves the same JWKS', async () => {
    const auth = { headers: { authorization: `Bearer ${server.secretKey}` } }
    const res = await fetchJson(`${server.url}/v1/sessions/${sessionId}/tokens`, {
      method: 'POST',
      ...auth,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.json.object).toBe('token')
    const jwks = (await fetchJson(`${server.url}/v1/jwks`, auth)).json
    expect(jwks).toEqual((await fetchJson(`${server.url}/.well-known/jwks.json`)).json)
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|"p"|"q"|"dp"|"dq"|"qi"|"k"/)
  })

  it('a revoked session mints no token', async () => {
    const other = new BrowserClient(server.url, APP_ORIGIN)
    const sid = await other.signIn('grace@example.com', 'a long enough passphrase')
    await other.token(sid)
    const revoke = await fetchJson(`${server.url}/v1/sessions/${sid}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    })
    expect(revoke.status).toBe(200)
    expect(revoke.json.status).toBe('revoked')
    const res = await other.post(`/v1/client/sessions/${sid}/tokens`)
    expect(res.status).toBe(401)
    expect(res.json.errors[0].code).toBe('session_not_active')
  })
})

describe.each(DIALECTS)('session lifetime (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_SESSION_LIFETIME: '3600', LATCHKEY_SESSION_INACTIVITY_TIMEOUT: '600' },
    })
  })
  afterAll(() => server.close())

  it('an inactive session is abandoned, an old one expires, and neither mints', async () => {
    const clock = server.clock as { advance(ms: number): void }
    const browser = new BrowserClient(server.url)
    const sid = await browser.signUp('lin@example.com', 'a long enough passphrase')
    // Activity within the timeout keeps it alive…
    for (let i = 0; i < 5; i++) {
      clock.advance(9 * 60_000)
      await browser.token(sid)
    }
    // …until the absolute lifetime ends.
    clock.advance(20 * 60_000)
    let res = await browser.post(`/v1/client/sessions/${sid}/tokens`)
    expect(res.status).toBe(401)
    expect(res.json.errors[0].long_message).toMatch(/expired/)

    const sid2 = await browser.signIn('lin@example.com', 'a long enough passphrase')
    clock.advance(11 * 60_000)
    res = await browser.post(`/v1/client/sessions/${sid2}/tokens`)
    expect(res.status).toBe(401)
    expect(res.json.errors[0].long_message).toMatch(/abandoned/)
  })
})

describe.each(DIALECTS)('session activity (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await createTestServer(dialect, { fake: true, sqliteFile: true })
    b = await createTestServer(dialect, { fake: true, shareDatabaseWith: a })
  })
  afterAll(async () => {
    await b.close().catch(() => {})
    await a.close()
  })

  const stored = async (sid: string) =>
    (
      await a.db.db
        .selectFrom('sessions')
        .select('last_active_at')
        .where('id', '=', sid)
        .executeTakeFirstOrThrow()
    ).last_active_at
  const sessionOnB = async (sid: string) =>
    (
      await fetchJson(`${b.url}/v1/sessions/${sid}`, {
        headers: { authorization: `Bearer ${b.secretKey}` },
      })
    ).json

  it('mints write activity in batches: once a minute per session, many sessions per statement', async () => {
    const clock = a.clock as { advance(ms: number): void; now(): number }
    const browsers = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const browser = new BrowserClient(a.url)
        return {
          browser,
          sid: await browser.signUp(`busy${i}@example.com`, 'a long enough passphrase'),
        }
      }),
    )
    const started = await Promise.all(browsers.map(({ sid }) => stored(sid)))
    clock.advance(61_000)
    const at = clock.now()
    for (let round = 0; round < 3; round++)
      for (const { browser, sid } of browsers) await browser.token(sid)
    // Fifteen mints, no write yet…
    expect(await Promise.all(browsers.map(({ sid }) => stored(sid)))).toEqual(started)
    // …then one batch records each session's activity, which other servers read.
    await a.services.sessions.flushActivity()
    expect(await Promise.all(browsers.map(({ sid }) => stored(sid)))).toEqual(
      browsers.map(() => at),
    )
    const seen = await sessionOnB(browsers[0]!.sid)
    expect(seen.last_active_at).toBe(at)
    expect(seen.abandon_at).toBe(at + 7 * 24 * 3600 * 1000)
  })

  it('a closing server writes the activity it saw', async () => {
    const clock = b.clock as { advance(ms: number): void; now(): number }
    const browser = new BrowserClient(b.url)
    const sid = await browser.signUp('closing@example.com', 'a long enough passphrase')
    clock.advance(61_000)
    const at = clock.now()
    await browser.token(sid)
    await b.close()
    expect(await stored(sid)).toBe(at)
  })
})
