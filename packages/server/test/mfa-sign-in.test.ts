import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'correct horse battery staple'

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())

// Issue #17, first step: after the first factor, a user with TOTP or backup codes proves a second
// one (`needs_second_factor`), each code accepted once, attempts limited, and the token's `fva`
// says when each factor was proved.
describe.each(DIALECTS)('sign-in with a second factor (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const clock = () => server.clock as { advance(ms: number): void }

  /** A user who enrolled TOTP through their profile; returns the authenticator and backup codes. */
  async function enrolled() {
    const email = `mfa-${dialect}-${++n}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    await b.signIn(email, PASSWORD)
    const made = await b.post('/v1/me/totp')
    expect(made.status).toBe(200)
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await b.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(verified.status).toBe(200)
    const backupCodes: string[] = verified.json.response.backup_codes
    // The enrolment code's step is spent: move past it.
    clock().advance(31_000)
    return { email, userId: user.id, totp, backupCodes }
  }

  async function firstFactor(email: string) {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.status).toBe(200)
    return { b, signIn: r.json.response, client: r.json.client }
  }

  it('password, then TOTP: no session until the second factor, and fva says both', async () => {
    const { email, totp } = await enrolled()
    const before = await server.snapshot()
    const { b, signIn, client } = await firstFactor(email)
    expect(signIn).toMatchObject({
      status: 'needs_second_factor',
      created_session_id: null,
      supported_second_factors: [{ strategy: 'totp' }, { strategy: 'backup_code' }],
    })
    expect(client.sessions).toEqual([])
    expect((await server.snapshot()).sessions).toBe(before.sessions)
    // The first factor alone cannot mint anything.
    clock().advance(2 * 60_000)
    const done = await b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(done.status).toBe(200)
    expect(done.json.response).toMatchObject({
      status: 'complete',
      second_factor_verification: { status: 'verified', strategy: 'totp' },
    })
    const sid = done.json.response.created_session_id
    clock().advance(3 * 60_000)
    const tok = await b.post(`/v1/client/sessions/${sid}/tokens`)
    expect(claimsOf(tok.json.jwt).fva).toEqual([3, 3])
  })

  it('a TOTP code is accepted once: replayed in its window on another sign-in, refused', async () => {
    const { email, totp } = await enrolled()
    const code = totp.generate({ timestamp: server.clock.now() })
    const one = await firstFactor(email)
    const ok = await one.b.post(`/v1/client/sign_ins/${one.signIn.id}/attempt_second_factor`, {
      strategy: 'totp',
      code,
    })
    expect(ok.json.response.status).toBe('complete')
    const two = await firstFactor(email)
    const replay = await two.b.post(`/v1/client/sign_ins/${two.signIn.id}/attempt_second_factor`, {
      strategy: 'totp',
      code,
    })
    expect(replay.status).toBe(422)
    expect(replay.json.errors[0].code).toBe('form_code_incorrect')
  })

  it('a backup code works once', async () => {
    const { email, backupCodes } = await enrolled()
    const code = backupCodes[0] ?? ''
    const one = await firstFactor(email)
    const ok = await one.b.post(`/v1/client/sign_ins/${one.signIn.id}/attempt_second_factor`, {
      strategy: 'backup_code',
      code,
    })
    expect(ok.json.response).toMatchObject({
      status: 'complete',
      second_factor_verification: { strategy: 'backup_code' },
    })
    const two = await firstFactor(email)
    const again = await two.b.post(`/v1/client/sign_ins/${two.signIn.id}/attempt_second_factor`, {
      strategy: 'backup_code',
      code,
    })
    expect(again.json.errors[0].code).toBe('form_code_incorrect')
  })

  it('three wrong codes fail the second step, and then even the right one is refused', async () => {
    const { email, totp } = await enrolled()
    const { b, signIn } = await firstFactor(email)
    const attempt = (code: string) =>
      b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, { strategy: 'totp', code })
    const before = await server.snapshot()
    expect((await attempt('000000')).json.errors[0].code).toBe('form_code_incorrect')
    expect((await attempt('000001')).json.errors[0].code).toBe('form_code_incorrect')
    expect((await attempt('000002')).json.errors[0].code).toBe('verification_failed')
    const right = await attempt(totp.generate({ timestamp: server.clock.now() }))
    expect(right.json.errors[0].code).toBe('verification_failed')
    expect((await server.snapshot()).sessions).toBe(before.sessions)
  })

  it('a locked user stops at the second factor; a user without one completes at once', async () => {
    const { email, userId, totp } = await enrolled()
    const { b, signIn } = await firstFactor(email)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.lockUser(userId)
    const r = await b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('user_locked')
    await clerk.users.unlockUser(userId)

    const plain = `plain-${dialect}-${++n}@example.com`
    await clerk.users.createUser({ emailAddress: [plain], password: PASSWORD })
    const { signIn: s2 } = await firstFactor(plain)
    expect(s2.status).toBe('complete')
    expect(s2.supported_second_factors).toBeNull()
  })

  it('the hosted sign-in form does not land a user with a second factor as if signed in', async () => {
    const { email } = await enrolled()
    const b = new BrowserClient(server.url, server.url)
    const r = await b.hostedSignIn(email, PASSWORD)
    expect(r.status).toBe(422)
    expect(r.html).toContain('two-step verification')
    const client = await b.get('/v1/client')
    expect(client.json.response?.sessions ?? []).toEqual([])
  })

  it('a second factor is refused while the sign-in waits for its first', async () => {
    const { email, totp } = await enrolled()
    const b = new BrowserClient(server.url, server.url)
    const s = (await b.post('/v1/client/sign_ins', { identifier: email })).json.response
    const r = await b.post(`/v1/client/sign_ins/${s.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(r.status).toBe(400)
    expect(r.json.errors[0].code).toBe('sign_in_not_ready')
  })
})
