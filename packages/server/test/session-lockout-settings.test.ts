import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { bapi, makeUser, operatorToken } from './helpers/operators.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue #20: session lifetimes and the password lockout, set through the Backend API
 * (`/v1/instance/session_settings`, `/v1/instance/user_lockout`) over the environment's values,
 * honoured by the sessions and sign-ins that follow, refused with a 4xx that changes nothing,
 * recorded in the audit log when an operator changes them, and seen at once by a second server
 * on the same database (the change feed, not the settings' 5-second cache: the clocks are frozen).
 */

const PASSWORD = 'settings from the api'
type Clock = { advance(ms: number): void; now(): number }

describe.each(DIALECTS)('session and lockout settings (%s)', (dialect) => {
  let server: TestServer
  let clock: Clock
  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
    clock = server.clock as Clock
  })
  afterAll(() => server.close())

  it('reads the environment’s values until the API sets its own', async () => {
    const s = await bapi(server, 'GET', '/v1/instance/session_settings')
    expect(s.status).toBe(200)
    expect(s.json).toEqual({
      object: 'session_settings',
      max_session_lifetime: 604800,
      inactivity_timeout_enabled: true,
      inactivity_timeout: 604800,
      defaults: { max_session_lifetime: 604800, inactivity_timeout: 604800 },
      overridden: { max_session_lifetime: false, inactivity_timeout: false },
    })
    const l = await bapi(server, 'GET', '/v1/instance/user_lockout')
    expect(l.json).toEqual({
      object: 'user_lockout_settings',
      enabled: true,
      max_attempts: 100,
      duration_in_seconds: 3600,
      duration_in_minutes: 60,
      defaults: { max_attempts: 100, duration_in_seconds: 3600 },
      overridden: { max_attempts: false, duration_in_seconds: false },
    })
  })

  it('a new lifetime: the next sign-in’s session expires then (read with @clerk/backend)', async () => {
    await makeUser(server, 'lifetime@example.com', PASSWORD, { operator: false })
    const r = await bapi(server, 'PATCH', '/v1/instance/session_settings', {
      max_session_lifetime: 3600,
      inactivity_timeout: 1800,
    })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({
      max_session_lifetime: 3600,
      inactivity_timeout: 1800,
      overridden: { max_session_lifetime: true, inactivity_timeout: true },
    })
    const before = clock.now()
    const sid = await new BrowserClient(server.url).signIn('lifetime@example.com', PASSWORD)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const session = await clerk.sessions.getSession(sid)
    expect(session.expireAt).toBe(before + 3600_000)
    expect(session.abandonAt).toBe(before + 1800_000)
  })

  it('the inactivity timeout ends an idle session; turned off, it does not', async () => {
    await bapi(server, 'PATCH', '/v1/instance/session_settings', { inactivity_timeout: 300 })
    const browser = new BrowserClient(server.url)
    const sid = await browser.signIn('lifetime@example.com', PASSWORD)
    clock.advance(4 * 60_000)
    await browser.token(sid)
    clock.advance(4 * 60_000)
    // Active four minutes ago: still within five.
    await browser.token(sid)
    clock.advance(5 * 60_000 + 1000)
    const idle = await browser.post(`/v1/client/sessions/${sid}/tokens`)
    expect(idle.status).toBe(401)
    expect(idle.json.errors[0].long_message).toMatch(/abandoned/)

    const off = await bapi(server, 'PATCH', '/v1/instance/session_settings', {
      inactivity_timeout_enabled: false,
    })
    expect(off.json).toMatchObject({ inactivity_timeout_enabled: false, inactivity_timeout: 300 })
    const sid2 = await browser.signIn('lifetime@example.com', PASSWORD)
    clock.advance(50 * 60_000)
    expect((await browser.post(`/v1/client/sessions/${sid2}/tokens`)).status).toBe(200)
    // The lifetime still ends it.
    clock.advance(11 * 60_000)
    const old = await browser.post(`/v1/client/sessions/${sid2}/tokens`)
    expect(old.status).toBe(401)
    expect(old.json.errors[0].long_message).toMatch(/expired/)
  })

  it('null puts the environment’s value back', async () => {
    const r = await bapi(server, 'PATCH', '/v1/instance/session_settings', {
      max_session_lifetime: null,
      inactivity_timeout: null,
      inactivity_timeout_enabled: null,
    })
    expect(r.json).toMatchObject({
      max_session_lifetime: 604800,
      inactivity_timeout_enabled: true,
      inactivity_timeout: 604800,
      overridden: { max_session_lifetime: false, inactivity_timeout: false },
    })
  })

  it('lockout at 2: the second wrong password locks the account, the right one is then refused', async () => {
    const userId = await makeUser(server, 'lockout@example.com', PASSWORD, { operator: false })
    const r = await bapi(server, 'PATCH', '/v1/instance/user_lockout', {
      max_attempts: 2,
      duration_in_seconds: 120,
    })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({
      max_attempts: 2,
      duration_in_seconds: 120,
      duration_in_minutes: 2,
    })
    // What Clerk's components read.
    const env = (await fetchJson(`${server.url}/v1/environment`)).json
    expect(env.user_settings.attack_protection.user_lockout).toEqual({
      enabled: true,
      max_attempts: 2,
      duration_in_minutes: 2,
    })
    const attempt = (password: string) =>
      new BrowserClient(server.url).post('/v1/client/sign_ins', {
        identifier: 'lockout@example.com',
        password,
        strategy: 'password',
      })
    const first = await attempt('wrong password one')
    expect(first.status).toBe(422)
    expect(first.json.errors[0].code).toBe('form_password_incorrect')
    const user = await bapi(server, 'GET', `/v1/users/${userId}`)
    expect(user.json.verification_attempts_remaining).toBe(1)
    const second = await attempt('wrong password two')
    expect(second.status).toBe(403)
    expect(second.json.errors[0].code).toBe('user_locked')
    expect(second.json.errors[0].meta.retry_after_seconds).toBe(120)
    const third = await attempt(PASSWORD)
    expect(third.status).toBe(403)
    expect(third.json.errors[0].code).toBe('user_locked')
    expect((await bapi(server, 'GET', `/v1/users/${userId}`)).json).toMatchObject({
      locked: true,
      lockout_expires_in_seconds: 120,
    })
    // The lock lasts the new duration.
    clock.advance(121_000)
    expect((await attempt(PASSWORD)).status).toBe(200)
  })

  it('refuses bad values with a 422 naming the field, and changes nothing', async () => {
    const sessionsBefore = (await bapi(server, 'GET', '/v1/instance/session_settings')).json
    const lockoutBefore = (await bapi(server, 'GET', '/v1/instance/user_lockout')).json
    const bad: [string, unknown, string, RegExp][] = [
      ['session_settings', { max_session_lifetime: 299 }, 'max_session_lifetime', /at least 300/],
      [
        'session_settings',
        { max_session_lifetime: 400_000_000 },
        'max_session_lifetime',
        /at most 315360000/,
      ],
      ['session_settings', { max_session_lifetime: '3600' }, 'max_session_lifetime', /number/],
      ['session_settings', { inactivity_timeout: 1.5 }, 'inactivity_timeout', /whole number/],
      [
        'session_settings',
        { max_session_lifetime: 600, inactivity_timeout: 601 },
        'inactivity_timeout',
        /must not be longer than max_session_lifetime/,
      ],
      ['session_settings', { lifetime: 600 }, 'lifetime', /./],
      ['user_lockout', { max_attempts: 0 }, 'max_attempts', /at least 1/],
      ['user_lockout', { max_attempts: 1001 }, 'max_attempts', /at most 1000/],
      ['user_lockout', { duration_in_seconds: 59 }, 'duration_in_seconds', /at least 60/],
      ['user_lockout', { duration_in_seconds: 2_592_001 }, 'duration_in_seconds', /30 days/],
      ['user_lockout', { enabled: false }, 'enabled', /./],
    ]
    for (const [route, body, param, message] of bad) {
      const r = await bapi(server, 'PATCH', `/v1/instance/${route}`, body)
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.json.errors[0].meta.param_name).toBe(param)
      expect(r.json.errors[0].long_message).toMatch(message)
    }
    const notJson = await fetch(`${server.url}/v1/instance/user_lockout`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: '{"max_attempts":',
    })
    expect(notJson.status).toBe(400)
    expect((await bapi(server, 'GET', '/v1/instance/session_settings')).json).toEqual(
      sessionsBefore,
    )
    expect((await bapi(server, 'GET', '/v1/instance/user_lockout')).json).toEqual(lockoutBefore)
    // No credential, no change.
    const anon = await fetch(`${server.url}/v1/instance/user_lockout`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ max_attempts: 7 }),
    })
    expect(anon.status).toBe(401)
    expect((await bapi(server, 'GET', '/v1/instance/user_lockout')).json).toEqual(lockoutBefore)
  })

  it('an operator’s change is in the audit log', async () => {
    await makeUser(server, 'settings-operator@example.com', PASSWORD)
    const token = await operatorToken(server, 'settings-operator@example.com', PASSWORD)
    const r = await bapi(server, 'PATCH', '/v1/instance/user_lockout', { max_attempts: 9 }, token)
    expect(r.status).toBe(200)
    const s = await bapi(
      server,
      'PATCH',
      '/v1/instance/session_settings',
      { max_session_lifetime: 7200 },
      token,
    )
    expect(s.status).toBe(200)
    const log = await bapi(server, 'GET', '/v1/audit_events?limit=5')
    const routes = log.json.map((e: { action: string; status_code: number }) => [
      e.action,
      e.status_code,
    ])
    expect(routes).toContainEqual(['PATCH /v1/instance/user_lockout', 200])
    expect(routes).toContainEqual(['PATCH /v1/instance/session_settings', 200])
  })
})

describe.each(DIALECTS)('a second server on the same database (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await createTestServer(dialect, { fake: true, sqliteFile: true })
    b = await createTestServer(dialect, { fake: true, shareDatabaseWith: a })
    await makeUser(a, 'shared-settings@example.com', PASSWORD, { operator: false })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  it('sees a change made through the other at once, though its clock stands still', async () => {
    // B has read (and cached) the settings before A changes them.
    expect((await bapi(b, 'GET', '/v1/instance/session_settings')).json.max_session_lifetime).toBe(
      604800,
    )
    expect((await bapi(b, 'GET', '/v1/instance/user_lockout')).json.max_attempts).toBe(100)
    await bapi(a, 'PATCH', '/v1/instance/session_settings', { max_session_lifetime: 900 })
    await bapi(a, 'PATCH', '/v1/instance/user_lockout', { max_attempts: 1 })
    // PostgreSQL's notification arrives within milliseconds; B's 5-second cache cannot expire.
    await expect
      .poll(async () => (await bapi(b, 'GET', '/v1/instance/session_settings')).json, {
        timeout: 2000,
      })
      .toMatchObject({ max_session_lifetime: 900 })
    await expect
      .poll(async () => (await bapi(b, 'GET', '/v1/instance/user_lockout')).json.max_attempts, {
        timeout: 2000,
      })
      .toBe(1)
    const before = (b.clock as Clock).now()
    const sid = await new BrowserClient(b.url).signIn('shared-settings@example.com', PASSWORD)
    const session = await bapi(b, 'GET', `/v1/sessions/${sid}`)
    expect(session.json.expire_at).toBe(before + 900_000)
    const wrong = await new BrowserClient(b.url).post('/v1/client/sign_ins', {
      identifier: 'shared-settings@example.com',
      password: 'not the password',
      strategy: 'password',
    })
    expect(wrong.status).toBe(403)
    expect(wrong.json.errors[0].code).toBe('user_locked')
  })
})
