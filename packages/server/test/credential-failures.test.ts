import { createClerkClient } from '@clerk/backend'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Security issue "Brute force and lockout abuse": the Backend API's secret-key check and
// /oauth/token's client authentication had no limit on failures.

const WRONG_KEY = 'sk_live_not_the_key_0000000000000000'
const CALLBACK = 'http://localhost:8787/callback'
type Clock = { advance(ms: number): void }

/** What a Backend API call from `ip` (through the trusted proxy) with `key` answers. */
const bapiFrom = (server: TestServer, ip: string, key: string) =>
  fetchJson(`${server.url}/v1/users?limit=1`, {
    headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': ip },
  })

/** The status and body of a rejected @clerk/backend call. */
async function rejection(call: Promise<unknown>) {
  const error = (await call.then(
    () => expect.unreachable('the call succeeded'),
    (e: unknown) => e,
  )) as { status: number; retryAfter?: number; errors: { code: string }[] }
  return { status: error.status, retryAfter: error.retryAfter, code: error.errors[0]?.code }
}

describe.each(DIALECTS)('failed credentials are limited per client IP (%s)', (dialect) => {
  let server: TestServer
  let app: { clientId: string; clientSecret: string }
  beforeAll(async () => {
    // The test connects from 127.0.0.1 (its own IP); as the trusted proxy it can name others.
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1' },
    })
    const created = await createClerkClient({
      secretKey: server.secretKey,
      apiUrl: server.url,
    }).oauthApplications.create({ name: 'Limited', redirectUris: [CALLBACK], scopes: 'profile' })
    app = {
      clientId: created.clientId,
      clientSecret: (created as unknown as { clientSecret: string }).clientSecret,
    }
  })
  afterAll(() => server.close())

  it('Backend API: 10 wrong secret keys, then 429 with Retry-After and the key is not checked', async () => {
    // getCount is one request (getUserList is two: the list and its count).
    const wrong = createClerkClient({ secretKey: WRONG_KEY, apiUrl: server.url })
    const right = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    // Requests with the right key are never counted.
    for (let i = 0; i < 20; i++) await right.users.getCount()
    for (let i = 0; i < 10; i++)
      expect(await rejection(wrong.users.getCount())).toMatchObject({
        status: 401,
        code: 'authentication_invalid',
      })
    const blocked = await rejection(wrong.users.getCount())
    expect(blocked).toMatchObject({ status: 429, code: 'too_many_requests' })
    expect(blocked.retryAfter).toBeGreaterThan(0)
    expect(blocked.retryAfter).toBeLessThanOrEqual(60)
    // Blocked means not checked: the right key from that IP waits too.
    expect(await rejection(right.users.getCount())).toMatchObject({ status: 429 })
    // Another IP is not affected; the block ends with the window.
    expect((await bapiFrom(server, '203.0.113.30', server.secretKey)).status).toBe(200)
    ;(server.clock as Clock).advance(60_000)
    expect(await right.users.getCount()).toBeGreaterThanOrEqual(0)
  })

  it('/oauth/token, introspection and revocation: 10 failed client authentications, then 429 before the secret is checked', async () => {
    const ip = '203.0.113.40'
    const through = (forwardedFor: string) =>
      ((url: string, init: RequestInit) =>
        fetch(url, {
          ...init,
          headers: {
            ...Object.fromEntries(new Headers(init.headers)),
            'x-forwarded-for': forwardedFor,
          },
        })) as client.CustomFetch
    const configFor = async (secret: string, forwardedFor: string) => {
      const config = await client.discovery(
        new URL(`${server.url}/oauth`),
        app.clientId,
        secret,
        undefined,
        {
          execute: [client.allowInsecureRequests],
        },
      )
      config[client.customFetch] = through(forwardedFor)
      return config
    }
    const wrong = await configFor('not-the-secret', ip)
    const right = await configFor(app.clientSecret, ip)
    const grant = (config: client.Configuration) =>
      client
        .genericGrantRequest(config, 'authorization_code', {
          code: 'bogus',
          redirect_uri: CALLBACK,
        })
        .then(
          () => expect.unreachable('a bogus code was accepted'),
          (e: client.ResponseBodyError) => ({
            status: e.status,
            error: e.error,
            retryAfter: Number(e.response.headers.get('retry-after')),
          }),
        )
    const failed = (call: Promise<unknown>) =>
      call.then(
        () => expect.unreachable('accepted'),
        (e: client.ResponseBodyError) => e.status,
      )
    // A right secret with a bad code is the grant's failure, not the client's: not counted.
    for (let i = 0; i < 5; i++) expect((await grant(right)).error).toBe('invalid_grant')
    for (let i = 0; i < 6; i++)
      expect(await grant(wrong)).toMatchObject({ status: 401, error: 'invalid_client' })
    for (let i = 0; i < 2; i++)
      expect(await failed(client.tokenIntrospection(wrong, 'x'))).toBe(401)
    for (let i = 0; i < 2; i++) expect(await failed(client.tokenRevocation(wrong, 'x'))).toBe(401)
    // Ten failures: the IP now waits, and not even the right secret is checked.
    const blocked = await grant(right)
    expect(blocked).toMatchObject({ status: 429, error: 'temporarily_unavailable' })
    expect(blocked.retryAfter).toBeGreaterThan(0)
    expect(await failed(client.tokenIntrospection(right, 'x'))).toBe(429)
    expect(await failed(client.tokenRevocation(right, 'x'))).toBe(429)
    // Another IP is not affected; the block ends with the window.
    expect((await grant(await configFor(app.clientSecret, '203.0.113.41'))).error).toBe(
      'invalid_grant',
    )
    ;(server.clock as Clock).advance(60_000)
    expect((await grant(right)).error).toBe('invalid_grant')
  })
})

describe.each(DIALECTS)('failure counts are shared by every process (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  const env = { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1' }
  beforeAll(async () => {
    a = await createTestServer(dialect, { env, sqliteFile: true })
    b = await createTestServer(dialect, { env, shareDatabaseWith: a })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  it('wrong secret keys spread over two servers are counted once; each checks at most one more', async () => {
    const ip = '203.0.113.50'
    for (let i = 0; i < 5; i++) expect((await bapiFrom(a, ip, WRONG_KEY)).status).toBe(401)
    for (let i = 0; i < 5; i++) expect((await bapiFrom(b, ip, WRONG_KEY)).status).toBe(401)
    // B counted the tenth failure: it refuses the IP without checking.
    expect((await bapiFrom(b, ip, a.secretKey)).status).toBe(429)
    // A learns of the block from its next failure, the eleventh, and refuses from then on.
    expect((await bapiFrom(a, ip, WRONG_KEY)).status).toBe(401)
    expect((await bapiFrom(a, ip, a.secretKey)).status).toBe(429)
  })
})
