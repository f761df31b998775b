import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'a perfectly fine passphrase'

describe.each(DIALECTS)('bad input is a 4xx and changes nothing (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect)
    await new BrowserClient(server.url).signUp('known@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  const bapi = (path: string, init: RequestInit & { body?: string } = {}) =>
    fetchJson(`${server.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    })

  it('a wrong password', async () => {
    const before = await server.snapshot()
    const b = new BrowserClient(server.url)
    const r = await b.post('/v1/client/sign_ins', {
      identifier: 'known@example.com',
      password: 'not the password',
      strategy: 'password',
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_password_incorrect',
      meta: { param_name: 'password' },
    })
    expect(r.json.errors[0].long_message).toEqual(expect.any(String))
    expect(r.json.clerk_trace_id).toEqual(expect.any(String))
    expect(b.cookies.size).toBe(0)
    expect(await server.snapshot()).toEqual(before)
  })

  it('an unknown identifier', async () => {
    const before = await server.snapshot()
    const r = await new BrowserClient(server.url).post('/v1/client/sign_ins', {
      identifier: 'nobody@example.com',
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_identifier_not_found',
      meta: { param_name: 'identifier' },
    })
    expect(await server.snapshot()).toEqual(before)
  })

  it('malformed bodies, parameters and ids', async () => {
    const before = await server.snapshot()
    let r = await bapi('/v1/users', { method: 'POST', body: '{"email_address": ["a@b.co"' })
    expect(r.status).toBe(400)
    expect(r.json.errors[0].code).toBe('request_body_invalid')

    r = await bapi('/v1/users', {
      method: 'POST',
      body: '{"email_address": "solo@example.com", "first_name": 7}',
    })
    expect(r.status).toBe(422)
    expect(
      r.json.errors.map((e: { meta: { param_name: string } }) => e.meta.param_name).sort(),
    ).toEqual(['email_address', 'first_name'])

    r = await bapi('/v1/users', { method: 'POST', body: '["not", "an", "object"]' })
    expect(r.status).toBe(422)

    r = await bapi('/v1/users?limit=abc')
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('limit')

    r = await bapi('/v1/users?order_by=password_digest')
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('order_by')

    r = await bapi("/v1/users/user_'%3B%20drop%20table%20users")
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('user_id')

    r = await bapi('/v1/users', {
      method: 'POST',
      body: 'x=1',
      headers: { 'content-type': 'text/xml' },
    })
    expect(r.status).toBe(415)
    expect(r.json.errors[0].code).toBe('unsupported_content_type')

    const b = new BrowserClient(server.url)
    r = await b.post('/v1/client/sign_ups', { email_address: 'not an email', password: PASSWORD })
    expect(r.status).toBe(422)
    expect(r.json.errors[0].meta.param_name).toBe('email_address')
    r = await b.post('/v1/client/sign_ins/sia_doesnotexist/attempt_first_factor', {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(r.status).toBe(404)
    r = await b.post('/v1/client/sign_ins/nonsense/attempt_first_factor', {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(r.status).toBe(422)
    r = await b.get('/v1/no/such/route')
    expect(r.status).toBe(404)
    expect(r.json.errors[0].code).toBe('resource_not_found')
    expect(await server.snapshot()).toEqual(before)
  })

  it('an oversized body', async () => {
    const before = await server.snapshot()
    const big = JSON.stringify({
      email_address: ['big@example.com'],
      public_metadata: { blob: 'x'.repeat(200_000) },
    })
    const r = await bapi('/v1/users', { method: 'POST', body: big })
    expect(r.status).toBe(413)
    expect(r.json.errors[0].code).toBe('request_body_too_large')
    // Under the body limit but over the metadata limit: a field error.
    const r2 = await bapi('/v1/users', {
      method: 'POST',
      body: JSON.stringify({
        email_address: ['big@example.com'],
        public_metadata: { blob: 'x'.repeat(10_000) },
      }),
    })
    expect(r2.status).toBe(422)
    expect(r2.json.errors[0].meta.param_name).toBe('public_metadata')
    expect(await server.snapshot()).toEqual(before)
  })

  it('a sign-up with a breached or short password', async () => {
    const before = await server.snapshot()
    const b = new BrowserClient(server.url)
    let r = await b.post('/v1/client/sign_ups', {
      email_address: 'new@example.com',
      password: 'Password123!',
    })
    expect(r.json.errors[0].code).toBe('form_password_pwned')
    r = await b.post('/v1/client/sign_ups', { email_address: 'new@example.com', password: 'short' })
    expect(r.json.errors[0].code).toBe('form_password_length_too_short')
    r = await b.post('/v1/client/sign_ups', {
      email_address: 'KNOWN@example.com',
      password: PASSWORD,
    })
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_identifier_exists',
      meta: { param_name: 'email_address' },
    })
    expect(await server.snapshot()).toEqual(before)
  })

  it('browsers racing to sign up one address: one wins, the rest write nothing', async () => {
    const before = await server.snapshot()
    const browsers = [0, 1, 2, 3].map(() => new BrowserClient(server.url))
    const results = await Promise.all(
      browsers.map((b) =>
        b.post('/v1/client/sign_ups', { email_address: 'race@example.com', password: PASSWORD }),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 422, 422, 422])
    for (const r of results.filter((x) => x.status === 422))
      expect(r.json.errors[0].code).toBe('form_identifier_exists')
    const after = await server.snapshot()
    // One user with one address, one browser's client, one session, one sign-up: no more.
    for (const t of ['users', 'email_addresses', 'clients', 'sessions', 'sign_ups'])
      expect(after[t], t).toBe((before[t] ?? 0) + 1)
  })
})

describe.each(DIALECTS)('rate limits and lockout (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: {
        LATCHKEY_RATE_LIMIT: 'on',
        LATCHKEY_TRUST_PROXY: '127.0.0.1',
        LATCHKEY_LOCKOUT_ATTEMPTS: '5',
        LATCHKEY_LOCKOUT_SECONDS: '600',
      },
    })
    await server.services.users.create({ emailAddress: ['burst@example.com'], password: PASSWORD })
    await server.services.users.create({ emailAddress: ['locked@example.com'], password: PASSWORD })
  })
  afterAll(() => server.close())
  // Each test comes from its own client IP: the test is the trusted proxy (127.0.0.1) and names
  // the client in X-Forwarded-For, so limits do not leak across tests.
  const fromIp = (ip: string) => new BrowserClient(server.url, undefined, { 'x-forwarded-for': ip })

  it('more than 5 sign-in creations in 10 s from one IP get 429 with Retry-After', async () => {
    const b = fromIp('203.0.113.1')
    for (let i = 0; i < 5; i++) {
      expect(
        (await b.post('/v1/client/sign_ins', { identifier: 'burst@example.com' })).status,
      ).toBe(200)
    }
    const before = await server.snapshot()
    const r = await b.post('/v1/client/sign_ins', { identifier: 'burst@example.com' })
    expect(r.status).toBe(429)
    expect(r.json.errors[0].code).toBe('too_many_requests')
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await server.snapshot()).toEqual(before)
    // Another IP is not affected.
    expect(
      (await fromIp('203.0.113.9').post('/v1/client/sign_ins', { identifier: 'burst@example.com' }))
        .status,
    ).toBe(200)
  })

  it('more than 3 factor attempts in 10 s get 429', async () => {
    const b = fromIp('203.0.113.2')
    const start = await b.post('/v1/client/sign_ins', { identifier: 'burst@example.com' })
    const id = start.json.response.id
    for (let i = 0; i < 3; i++) {
      const r = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
        strategy: 'password',
        password: 'wrong wrong wrong',
      })
      expect(r.status).toBe(422)
    }
    const r = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(r.status).toBe(429)
    expect(r.headers.get('retry-after')).toBeTruthy()
  })

  it('token minting is not rate limited per IP', async () => {
    const sid = (
      await server.services.sessions.createForUser(
        (await server.services.users.findByIdentifier('burst@example.com'))!,
      )
    ).id
    for (let i = 0; i < 25; i++) {
      const r = await fetchJson(`${server.url}/v1/sessions/${sid}/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      expect(r.status).toBe(200)
    }
  })

  it('repeated wrong passwords lock the account until the lockout ends', async () => {
    const user = (await server.services.users.findByIdentifier('locked@example.com'))!
    for (let i = 0; i < 4; i++)
      expect((await server.services.users.checkPassword(user, 'wrong')).ok).toBe(false)
    const b = fromIp('203.0.113.3')
    let r = await b.post('/v1/client/sign_ins', {
      identifier: 'locked@example.com',
      password: 'still wrong',
    })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('user_locked')
    // The UI tells how long the lockout lasts.
    expect(r.json.errors[0].meta.retry_after_seconds).toBeGreaterThan(0)
    r = await b.post('/v1/client/sign_ins', {
      identifier: 'locked@example.com',
      password: PASSWORD,
    })
    expect(r.json.errors[0].code).toBe('user_locked')
    const bapiUser = await fetchJson(`${server.url}/v1/users/${user.id}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(bapiUser.json.locked).toBe(true)
    expect(bapiUser.json.lockout_expires_in_seconds).toBeGreaterThan(590)
    ;(server.clock as { advance(ms: number): void }).advance(601_000)
    r = await b.post('/v1/client/sign_ins', {
      identifier: 'locked@example.com',
      password: PASSWORD,
    })
    expect(r.status).toBe(200)
    expect(r.json.response.status).toBe('complete')
  })

  it('a correct password clears the count of wrong ones', async () => {
    await server.services.users.create({
      emailAddress: ['forgetful@example.com'],
      password: PASSWORD,
    })
    // A new IP per attempt: every password check of one IP shares 3 per 10 s.
    let n = 0
    const attempt = (password: string) =>
      fromIp(`203.0.113.${100 + n++}`).post('/v1/client/sign_ins', {
        identifier: 'forgetful@example.com',
        password,
      })
    for (let i = 0; i < 4; i++) expect((await attempt('wrong')).status).toBe(422)
    expect((await attempt(PASSWORD)).status).toBe(200)
    // Four more wrong ones would lock the account had the first four still counted.
    for (let i = 0; i < 4; i++) expect((await attempt('wrong')).status).toBe(422)
    expect((await attempt(PASSWORD)).status).toBe(200)
  })
})
