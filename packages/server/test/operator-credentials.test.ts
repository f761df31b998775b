import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { bapi, makeUser, operatorSignIn, operatorToken } from './helpers/operators.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #20: operators sign in with their password (and second factor) and get a short-lived
// `lk_op_…` credential the Backend API accepts. Every refusal the issue names, over HTTP.

const PASSWORD = 'operator passphrase 2026'
const WRONG = 'not the operator passphrase'
type FakeClock = { advance(ms: number): void }

const INVALID = {
  code: 'operator_credentials_invalid',
  message: 'Invalid identifier or password, or not an operator.',
}
const REFUSED = {
  code: 'authentication_invalid',
  long_message: 'The operator credential has expired or was revoked.',
}

describe.each(DIALECTS)('operator sign-in (%s)', (dialect) => {
  let server: TestServer
  let n = 0
  const email = () => `op-${dialect}-${++n}@example.com`
  const clock = () => server.clock as unknown as FakeClock
  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_LOCKOUT_ATTEMPTS: '4' },
    })
  })
  afterAll(() => server?.close())

  it('answers a credential once, stored only as a hash; it works on the Backend API', async () => {
    const address = email()
    const userId = await makeUser(server, address, PASSWORD)
    const r = await operatorSignIn(server, { identifier: address, password: PASSWORD })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(r.json).toEqual({
      object: 'operator_credential',
      id: expect.stringMatching(/^opc_/),
      token: expect.stringMatching(/^lk_op_[A-Za-z0-9]{40}$/),
      expires_at: server.clock.now() + 30 * 60_000,
      user: { id: userId, email_address: address, first_name: 'Olive', last_name: 'Operator' },
    })
    const stored = await server.db.db.selectFrom('operator_credentials').selectAll().execute()
    expect(JSON.stringify(stored)).not.toContain(r.json.token)
    const list = await bapi(server, 'GET', '/v1/users?limit=1', undefined, r.json.token)
    expect(list.status).toBe(200)
    const current = await bapi(
      server,
      'GET',
      '/v1/operator_sessions/current',
      undefined,
      r.json.token,
    )
    expect(current.json).toEqual({
      object: 'operator_credential',
      id: r.json.id,
      expires_at: r.json.expires_at,
      user: r.json.user,
      second_factor: false,
    })
    // A secret key is no operator credential.
    const withKey = await bapi(server, 'GET', '/v1/operator_sessions/current')
    expect(withKey.status).toBe(404)
    // With the credential, secret keys are reachable too (the dashboard manages them).
    expect((await bapi(server, 'GET', '/v1/secret_keys', undefined, r.json.token)).status).toBe(200)
  })

  it('wrong identifier, wrong password, not an operator, banned: one and the same 422', async () => {
    const address = email()
    await makeUser(server, address, PASSWORD)
    const plain = email()
    await makeUser(server, plain, PASSWORD, { operator: false })
    const banned = email()
    const bannedId = await makeUser(server, banned, PASSWORD)
    expect((await bapi(server, 'POST', `/v1/users/${bannedId}/ban`)).status).toBe(200)
    const attempts = [
      { identifier: 'nobody@example.com', password: PASSWORD },
      { identifier: address, password: WRONG },
      { identifier: plain, password: PASSWORD },
      { identifier: banned, password: PASSWORD },
    ]
    const before = await server.db.db.selectFrom('operator_credentials').selectAll().execute()
    for (const body of attempts) {
      const r = await operatorSignIn(server, body)
      expect(r.status).toBe(422)
      expect(r.json.errors).toEqual([expect.objectContaining(INVALID)])
    }
    const after = await server.db.db.selectFrom('operator_credentials').selectAll().execute()
    expect(after).toEqual(before)
  })

  it('a wrong password counts toward the lockout like a Frontend API one; locked is user_locked', async () => {
    const address = email()
    const userId = await makeUser(server, address, PASSWORD)
    const remaining = async () =>
      (await bapi(server, 'GET', `/v1/users/${userId}`)).json.verification_attempts_remaining
    expect(await remaining()).toBe(4)
    expect((await operatorSignIn(server, { identifier: address, password: WRONG })).status).toBe(
      422,
    )
    expect(await remaining()).toBe(3)
    // The Frontend API's attempts and the operator's count on the same account.
    const b = new BrowserClient(server.url, server.url)
    const fapi = await b.post('/v1/client/sign_ins', { identifier: address, password: WRONG })
    expect(fapi.status).toBe(422)
    expect(await remaining()).toBe(2)
    expect((await operatorSignIn(server, { identifier: address, password: WRONG })).status).toBe(
      422,
    )
    const locked = await operatorSignIn(server, { identifier: address, password: WRONG })
    expect(locked.status).toBe(403)
    expect(locked.json.errors[0]).toMatchObject({
      code: 'user_locked',
      meta: { retry_after_seconds: 3600 },
    })
    // Now even the right password gets the Frontend API's own answer.
    const right = await operatorSignIn(server, { identifier: address, password: PASSWORD })
    const fapiRight = await new BrowserClient(server.url, server.url).post('/v1/client/sign_ins', {
      identifier: address,
      password: PASSWORD,
    })
    expect(right.status).toBe(403)
    expect(fapiRight.status).toBe(403)
    expect(right.json.errors[0]).toEqual(fapiRight.json.errors[0])
  })

  it('an operator an admin locked gets user_locked, as the Frontend API says', async () => {
    const address = email()
    const userId = await makeUser(server, address, PASSWORD)
    expect((await bapi(server, 'POST', `/v1/users/${userId}/lock`)).status).toBe(200)
    const r = await operatorSignIn(server, { identifier: address, password: PASSWORD })
    const fapi = await new BrowserClient(server.url, server.url).post('/v1/client/sign_ins', {
      identifier: address,
      password: PASSWORD,
    })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('user_locked')
    expect(r.json.errors[0]).toEqual(fapi.json.errors[0])
  })

  /** An operator who enrolled TOTP through their profile. */
  async function withTotp() {
    const address = email()
    const userId = await makeUser(server, address, PASSWORD)
    const b = new BrowserClient(server.url, server.url)
    await b.signIn(address, PASSWORD)
    const made = await b.post('/v1/me/totp')
    expect(made.status).toBe(200)
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await b.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(verified.status).toBe(200)
    clock().advance(31_000)
    return { address, userId, totp, backupCodes: verified.json.response.backup_codes as string[] }
  }

  it('a second factor enrolled: the code is asked for, a wrong one refused, a right one accepted', async () => {
    const { address, totp, backupCodes } = await withTotp()
    const missing = await operatorSignIn(server, { identifier: address, password: PASSWORD })
    expect(missing.status).toBe(422)
    expect(missing.json.errors[0]).toMatchObject({
      code: 'form_param_missing',
      meta: { param_name: 'code' },
    })
    const wrong = await operatorSignIn(server, {
      identifier: address,
      password: PASSWORD,
      code: '000000' === totp.generate({ timestamp: server.clock.now() }) ? '111111' : '000000',
    })
    expect(wrong.status).toBe(422)
    expect(wrong.json.errors[0]).toMatchObject({
      code: 'form_code_incorrect',
      meta: { param_name: 'code' },
    })
    const ok = await operatorSignIn(server, {
      identifier: address,
      password: PASSWORD,
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(ok.status).toBe(200)
    const current = await bapi(
      server,
      'GET',
      '/v1/operator_sessions/current',
      undefined,
      ok.json.token,
    )
    expect(current.json.second_factor).toBe(true)
    // A backup code works once.
    const code = backupCodes[0] as string
    const first = await operatorSignIn(server, { identifier: address, password: PASSWORD, code })
    expect(first.status).toBe(200)
    const again = await operatorSignIn(server, { identifier: address, password: PASSWORD, code })
    expect(again.status).toBe(422)
    expect(again.json.errors[0].code).toBe('form_code_incorrect')
  })

  it('wrong codes count toward the account’s second-factor lock, shared with the Frontend API', async () => {
    const { address } = await withTotp()
    for (let i = 0; i < 10; i++) {
      const r = await operatorSignIn(server, {
        identifier: address,
        password: PASSWORD,
        code: 'zzzzzzzz',
      })
      expect(r.status).toBe(422)
    }
    const locked = await operatorSignIn(server, {
      identifier: address,
      password: PASSWORD,
      code: 'zzzzzzzz',
    })
    expect(locked.status).toBe(403)
    expect(locked.json.errors[0]).toMatchObject({ code: 'user_locked' })
    // The Frontend API's second step is locked for this account too.
    const b = new BrowserClient(server.url, server.url)
    const first = await b.post('/v1/client/sign_ins', { identifier: address, password: PASSWORD })
    expect(first.json.response.status).toBe('needs_second_factor')
    const second = await b.post(
      `/v1/client/sign_ins/${first.json.response.id}/attempt_second_factor`,
      { strategy: 'backup_code', code: 'zzzzzzzz' },
    )
    expect(second.status).toBe(403)
    expect(second.json.errors[0].code).toBe('user_locked')
  })

  it('expires 30 minutes after its last use, and 12 hours after issue however busy', async () => {
    const address = email()
    await makeUser(server, address, PASSWORD)
    const token = await operatorToken(server, address, PASSWORD)
    const use = () => bapi(server, 'GET', '/v1/users/count', undefined, token)
    // Used within every 30 minutes, it lives on…
    for (let i = 0; i < 3; i++) {
      clock().advance(29 * 60_000)
      expect((await use()).status).toBe(200)
    }
    // …and idle for 30 minutes, it is gone.
    clock().advance(30 * 60_000 + 1)
    const idle = await use()
    expect(idle.status).toBe(401)
    expect(idle.json.errors[0]).toMatchObject(REFUSED)
    const busy = await operatorToken(server, address, PASSWORD)
    const useBusy = () => bapi(server, 'GET', '/v1/users/count', undefined, busy)
    for (let elapsed = 0; elapsed < 12 * 60 - 20; elapsed += 20) {
      clock().advance(20 * 60_000)
      expect((await useBusy()).status).toBe(200)
    }
    clock().advance(20 * 60_000)
    expect((await useBusy()).status).toBe(401)
  })

  it('stops at once when signed out, no longer an operator, banned, locked or deleted', async () => {
    const address = email()
    const userId = await makeUser(server, address, PASSWORD)
    const check = async (token: string) => {
      const r = await bapi(server, 'GET', '/v1/users/count', undefined, token)
      return r.status === 401 ? r.json.errors[0] : r.status
    }
    // Signed out.
    const a = await operatorToken(server, address, PASSWORD)
    const out = await bapi(server, 'DELETE', '/v1/operator_sessions/current', undefined, a)
    expect(out.status).toBe(200)
    expect(out.json).toEqual({
      object: 'operator_credential',
      id: expect.stringMatching(/^opc_/),
      deleted: true,
    })
    expect(await check(a)).toMatchObject(REFUSED)
    // Banned, then unbanned: that credential stays dead.
    const b = await operatorToken(server, address, PASSWORD)
    await bapi(server, 'POST', `/v1/users/${userId}/ban`)
    expect(await check(b)).toMatchObject(REFUSED)
    await bapi(server, 'POST', `/v1/users/${userId}/unban`)
    expect(await check(b)).toMatchObject(REFUSED)
    // Locked.
    const c = await operatorToken(server, address, PASSWORD)
    await bapi(server, 'POST', `/v1/users/${userId}/lock`)
    expect(await check(c)).toMatchObject(REFUSED)
    await bapi(server, 'POST', `/v1/users/${userId}/unlock`)
    // No longer an operator.
    const d = await operatorToken(server, address, PASSWORD)
    expect(await check(d)).toBe(200)
    const removed = await bapi(server, 'DELETE', `/v1/operators/${userId}`)
    expect(removed.json).toEqual({ object: 'operator', id: userId, deleted: true })
    expect(await check(d)).toMatchObject(REFUSED)
    // Deleted.
    await bapi(server, 'POST', '/v1/operators', { user_id: userId })
    const e = await operatorToken(server, address, PASSWORD)
    expect((await bapi(server, 'DELETE', `/v1/users/${userId}`)).status).toBe(200)
    expect(await check(e)).toMatchObject(REFUSED)
    // A made-up credential, and a malformed one.
    expect(await check(`lk_op_${'a'.repeat(40)}`)).toMatchObject(REFUSED)
    expect(await check('lk_op_short')).toMatchObject(REFUSED)
  })

  it('is refused by the Frontend API and the OAuth endpoints', async () => {
    const address = email()
    await makeUser(server, address, PASSWORD)
    const token = await operatorToken(server, address, PASSWORD)
    const me = await fetchJson(`${server.url}/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(me.status).toBe(401)
    const client = await fetchJson(`${server.url}/v1/client`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(client.json?.response ?? null).toBeNull()
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(userinfo.status).toBe(401)
  })
})

describe.each(DIALECTS)('operator sign-in is limited per client IP (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1' },
    })
  })
  afterAll(() => server?.close())

  it('5 per 10 s from one IP, like Frontend API sign-in creation; another IP is not affected', async () => {
    const ip = { 'x-forwarded-for': '203.0.113.77' }
    // Requests the route refuses before any password is checked (the password checks have a
    // per-IP limit of their own, below): the route's limit counts them all the same.
    for (let i = 0; i < 5; i++) {
      const r = await operatorSignIn(server, { identifier: `x${i}@example.com` }, ip)
      expect(r.status).toBe(422)
    }
    const limited = await operatorSignIn(
      server,
      { identifier: 'y@example.com', password: WRONG },
      ip,
    )
    expect(limited.status).toBe(429)
    expect(limited.json.errors[0].code).toBe('too_many_requests')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    const other = await operatorSignIn(
      server,
      { identifier: 'y@example.com', password: WRONG },
      { 'x-forwarded-for': '203.0.113.78' },
    )
    expect(other.status).toBe(422)
    ;(server.clock as unknown as FakeClock).advance(10_001)
    const later = await operatorSignIn(server, { identifier: 'y@example.com', password: WRONG }, ip)
    expect(later.status).toBe(422)
  })

  it('password checks share the Frontend API’s per-IP window', async () => {
    const address = `limited-${dialect}@example.com`
    await makeUser(server, address, PASSWORD)
    const ip = { 'x-forwarded-for': '203.0.113.90' }
    const b = new BrowserClient(server.url, server.url, ip)
    expect(
      (await b.post('/v1/client/sign_ins', { identifier: address, password: WRONG })).status,
    ).toBe(422)
    expect(
      (await operatorSignIn(server, { identifier: address, password: WRONG }, ip)).status,
    ).toBe(422)
    expect(
      (await operatorSignIn(server, { identifier: address, password: WRONG }, ip)).status,
    ).toBe(422)
    const fourth = await operatorSignIn(server, { identifier: address, password: PASSWORD }, ip)
    expect(fourth.status).toBe(429)
  })
})
