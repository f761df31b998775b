import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiSecurityHeaders, securityHeaders } from '../src/http/security-headers.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:5173'
const PASSWORD = 'frontend api passphrase'

describe.each(DIALECTS)('Frontend API in Clerk wire format (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  it("answers JSON with the API's security headers and documents with Helmet's, HSTS only over https", async () => {
    const res = await fetch(`${server.url}/v1/environment`)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    )
    expect(res.headers.get('strict-transport-security')).toBeNull()
    // Nothing of the document set that only a page would use.
    for (const name of [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-xss-protection',
      'referrer-policy',
    ])
      expect(res.headers.get(name), name).toBeNull()
    // An error answer is JSON too.
    const missing = await fetch(`${server.url}/v1/no-such-route`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    )

    // A script (and any page, image or redirect) carries Helmet's whole document set.
    const script = await fetch(`${server.url}/npm/@latchkey/js/dist/latchkey.browser.js`)
    expect(script.status).toBe(200)
    for (const [name, value] of Object.entries(securityHeaders(false)))
      expect(script.headers.get(name), name).toBe(value)
    expect(script.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin')

    const size = (h: Record<string, string>) =>
      Object.entries(h).reduce((n, [k, v]) => n + k.length + v.length + 4, 0)
    expect(size(apiSecurityHeaders(true))).toBeLessThan(size(securityHeaders(true)) / 2)
    const https = securityHeaders(true)
    expect(https['strict-transport-security']).toMatch(/^max-age=\d+/)
    expect(https['content-security-policy']).toContain('upgrade-insecure-requests')
    expect(apiSecurityHeaders(true)['strict-transport-security']).toBe(
      https['strict-transport-security'],
    )
  })

  it('serves the environment and an empty client before sign-in', async () => {
    const b = new BrowserClient(server.url, APP)
    const env = await b.get('/v1/environment')
    expect(env.status).toBe(200)
    expect(env.json.display_config.sign_in_url).toBe(`${server.url}/sign-in`)
    expect(env.json.user_settings.attributes.email_address.enabled).toBe(true)
    expect(env.json.user_settings.password_settings.min_length).toBe(8)
    const client = await b.get('/v1/client')
    expect(client.json).toEqual({ response: null, client: null })
  })

  it('signs up, sets an HttpOnly SameSite=Lax __client cookie and returns the client envelope', async () => {
    const res = await fetch(`${server.url}/v1/client/sign_ups`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email_address: 'Sue@Example.com',
        password: PASSWORD,
        first_name: 'Sue',
      }),
    })
    expect(res.status).toBe(200)
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__client='))
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect(cookie).not.toMatch(/Secure/) // http in tests; https deployments get Secure
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    const body = (await res.json()) as {
      response: Record<string, unknown>
      client: Record<string, unknown>
    }
    expect(body.response).toMatchObject({
      object: 'sign_up_attempt',
      status: 'complete',
      email_address: 'sue@example.com',
    })
    expect(body.client).toMatchObject({
      object: 'client',
      last_active_session_id: body.response.created_session_id,
    })
    const sessions = body.client.sessions as Array<Record<string, unknown>>
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({
      object: 'session',
      status: 'active',
      id: body.response.created_session_id,
    })
    expect(sessions[0]?.user).toMatchObject({
      id: body.response.created_user_id,
      first_name: 'Sue',
    })
    expect(sessions[0]?.user).not.toHaveProperty('private_metadata')
  })

  it('signs in in two steps: identifier, then attempt_first_factor; GET sign_ins/{id} reads it', async () => {
    const b = new BrowserClient(server.url, APP)
    const first = await b.post('/v1/client/sign_ins', { identifier: 'sue@example.com' })
    expect(first.status).toBe(200)
    expect(first.json.response).toMatchObject({
      object: 'sign_in_attempt',
      status: 'needs_first_factor',
      identifier: 'sue@example.com',
    })
    // Every first factor the instance enables (issue #16), for the address that was typed.
    expect(
      first.json.response.supported_first_factors.map((f: { strategy: string }) => f.strategy),
    ).toEqual(['email_code', 'password', 'reset_password_email_code'])
    expect(first.json.client.sign_in.id).toBe(first.json.response.id)
    const id = first.json.response.id
    expect((await b.get(`/v1/client/sign_ins/${id}`)).json.response.status).toBe(
      'needs_first_factor',
    )
    const wrong = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'password',
      password: 'nope nope nope',
    })
    expect(wrong.status).toBe(422)
    const ok = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(ok.json.response.status).toBe('complete')
    expect(ok.json.client.sessions).toHaveLength(1)
    expect(ok.json.client.sign_in).toBeNull()
    // Another browser cannot read this sign-in.
    expect((await new BrowserClient(server.url, APP).get(`/v1/client/sign_ins/${id}`)).status).toBe(
      404,
    )
  })

  it('holds several sessions on one client; removes one; signs out of all; forgets the client', async () => {
    await server.services.users.create({ emailAddress: ['second@example.com'], password: PASSWORD })
    const b = new BrowserClient(server.url, APP)
    const s1 = await b.signIn('sue@example.com', PASSWORD)
    const s2 = await b.signIn('second@example.com', PASSWORD)
    let client = (await b.get('/v1/client')).json.response
    expect(client.sessions.map((s: { id: string }) => s.id)).toEqual([s1, s2])
    expect(client.last_active_session_id).toBe(s2)

    const touched = await b.post(`/v1/client/sessions/${s1}/touch`)
    expect(touched.json.response).toMatchObject({ object: 'session', id: s1, status: 'active' })

    const removed = await b.post(`/v1/client/sessions/${s2}/remove`)
    expect(removed.json.response.status).toBe('removed')
    client = removed.json.client
    expect(client.sessions.map((s: { id: string }) => s.id)).toEqual([s1])
    expect(client.last_active_session_id).toBe(s1)
    expect((await b.post(`/v1/client/sessions/${s2}/tokens`)).status).toBe(401)

    const s3 = await b.signIn('second@example.com', PASSWORD)
    const signOutAll = await b.post('/v1/client/sessions?_method=DELETE')
    expect(signOutAll.status).toBe(200)
    expect(signOutAll.json.client.sessions).toEqual([])
    for (const s of [s1, s3])
      expect((await b.post(`/v1/client/sessions/${s}/tokens`)).status).toBe(401)

    const s4 = await b.signIn('sue@example.com', PASSWORD)
    const gone = await b.post('/v1/client?_method=DELETE')
    expect(gone.json).toEqual({ response: null, client: null })
    expect(b.cookies.has('__client')).toBe(false)
    expect((await b.get('/v1/client')).json.client).toBeNull()
    const sess = await fetchJson(`${server.url}/v1/sessions/${s4}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(sess.json.status).toBe('ended')
  })

  it('a session belongs to its client: another browser cannot mint or touch it', async () => {
    const a = new BrowserClient(server.url, APP)
    const sid = await a.signIn('sue@example.com', PASSWORD)
    const other = new BrowserClient(server.url, APP)
    await other.signIn('second@example.com', PASSWORD)
    expect((await other.post(`/v1/client/sessions/${sid}/tokens`)).status).toBe(404)
    expect((await other.post(`/v1/client/sessions/${sid}/touch`)).status).toBe(404)
    const anonymous = await new BrowserClient(server.url, APP).post(
      `/v1/client/sessions/${sid}/tokens`,
    )
    expect(anonymous.status).toBe(401)
    expect(anonymous.json.errors[0].code).toBe('signed_out')
  })

  // Security issue "hosted pages must work in the browsers people use": `Origin: null` (a
  // sandboxed frame, a no-referrer page of another site) was taken as "no Origin" and let in.
  it('refuses state-changing calls with Origin: null, POST and ?_method= alike, and changes nothing', async () => {
    const victim = new BrowserClient(server.url, APP)
    const sid = await victim.signUp('victim@example.com', PASSWORD)
    const opaque = new BrowserClient(server.url, 'null')
    opaque.cookies = victim.cookies
    const before = await server.snapshot()
    const calls = [
      ['/v1/client/sign_ins', { identifier: 'victim@example.com', password: PASSWORD }],
      ['/v1/client/sign_ups', { email_address: 'opaque@example.com', password: PASSWORD }],
      ['/v1/me?_method=PATCH', { first_name: 'Forged' }],
      [`/v1/client/sessions/${sid}/end`, {}],
      ['/v1/client?_method=DELETE', {}],
    ] as const
    for (const [path, form] of calls) {
      const res = await opaque.post(path, { ...form })
      expect(res.status, path).toBe(403)
      expect(res.json.errors[0], path).toMatchObject({
        code: 'origin_invalid',
        long_message: expect.stringContaining('Origin: null'),
      })
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull()
    }
    expect(await server.snapshot()).toEqual(before)
    const me = await victim.get('/v1/me')
    expect(me.json.response.first_name).not.toBe('Forged')
    expect((await victim.get('/v1/client')).json.response.sessions[0].status).toBe('active')
    // Reads are not state-changing: a GET with Origin: null is answered (without a CORS grant).
    expect((await opaque.get('/v1/environment')).status).toBe(200)
    // A native client sends no Origin at all and keeps working, header-authenticated.
    const native = await fetchJson(`${server.url}/v1/me?_method=PATCH`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${victim.cookies.get('__client')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ first_name: 'Native' }),
    })
    expect(native.status).toBe(200)
    expect(native.json.response.first_name).toBe('Native')
  })

  it('non-browser clients carry the client token in the Authorization header', async () => {
    const res = await fetch(`${server.url}/v1/client/sign_ins?_is_native=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        identifier: 'sue@example.com',
        password: PASSWORD,
        strategy: 'password',
      }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.getSetCookie()).toEqual([])
    const token = res.headers.get('authorization')
    expect(token).toBeTruthy()
    const sid = ((await res.json()) as { response: { created_session_id: string } }).response
      .created_session_id
    const client = await fetchJson(`${server.url}/v1/client`, {
      headers: { authorization: token! },
    })
    expect(client.json.response.sessions[0].id).toBe(sid)
    const minted = await fetchJson(`${server.url}/v1/client/sessions/${sid}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(minted.status).toBe(200)
    expect(minted.json.jwt).toEqual(expect.any(String))
  })

  it('grants CORS with credentials only to allowed origins, set by env or PATCH /v1/instance', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/client/sign_ins`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      })
    let res = await preflight(APP)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('access-control-allow-credentials')).toBe('true')
    res = await preflight('https://evil.example')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()

    // A cross-origin form post from a disallowed origin is refused and writes nothing.
    const before = await server.snapshot()
    const evil = await new BrowserClient(server.url, 'https://evil.example').post(
      '/v1/client/sign_ins',
      {
        identifier: 'sue@example.com',
        password: PASSWORD,
      },
    )
    expect(evil.status).toBe(403)
    expect(evil.json.errors[0].code).toBe('origin_invalid')
    expect(await server.snapshot()).toEqual(before)

    const patch = await fetch(`${server.url}/v1/instance`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowed_origins: ['https://later.example.com'] }),
    })
    expect(patch.status).toBe(204)
    res = await preflight('https://later.example.com')
    expect(res.headers.get('access-control-allow-origin')).toBe('https://later.example.com')
    // The Backend API is not for browsers: no CORS grant at all.
    const bapi = await fetch(`${server.url}/v1/users`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'GET' },
    })
    expect(bapi.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('answers the Backend API with exactly application/json and the Clerk error shape', async () => {
    const res = await fetch(`${server.url}/v1/users`, {
      headers: { authorization: 'Bearer sk_live_wrongwrongwrongwrong' },
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/json')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({
      errors: [
        {
          code: 'authentication_invalid',
          message: 'Invalid authentication',
          long_message: 'Invalid authentication',
          meta: {},
        },
      ],
      clerk_trace_id: expect.any(String),
    })
    expect((await fetch(`${server.url}/v1/users`)).status).toBe(401)
    expect(
      (await fetch(`${server.url}/v1/users`, { headers: { authorization: 'Basic abc' } })).status,
    ).toBe(401)
  })
})

describe('https deployments', () => {
  it('mark the client cookie Secure, under its __Host- name', async () => {
    const server = await createTestServer(DIALECTS[0] ?? 'sqlite', {
      env: { LATCHKEY_URL: 'https://auth.example.com' },
    })
    try {
      const res = await fetch(
        `http://127.0.0.1:${server.app.server.address() && (server.app.server.address() as { port: number }).port}/v1/client/sign_ups`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ email_address: 'tls@example.com', password: PASSWORD }),
        },
      )
      expect(res.status).toBe(200)
      expect(res.headers.getSetCookie().find((c) => c.startsWith('__Host-client='))).toMatch(
        /; Secure/,
      )
      expect(server.publishableKey).toBe(
        `pk_live_${Buffer.from('auth.example.com$').toString('base64').replace(/=+$/, '')}`,
      )
    } finally {
      await server.close()
    }
  })
})
