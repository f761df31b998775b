import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { codeFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'step up horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase 9'
const MINUTE = 60_000

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())

/** Clerk's reverification error, exactly: what clerk-js's `useReverification` looks for. */
const reverificationError = (level: string, afterMinutes: number) => ({
  errors: [
    {
      code: 'session_reverification_required',
      message: 'You need to provide additional verification to perform this operation',
      long_message: 'You need to provide additional verification to perform this operation',
      meta: { session_verification: { level, after_minutes: afterMinutes } },
    },
  ],
  clerk_trace_id: expect.any(String),
})

// Issue #17 item 4: step-up (Clerk's reverification). With the operator's setting on, a session
// whose factors were proved too long ago is refused sensitive account actions with Clerk's
// error until it proves a factor again through `/v1/client/sessions/{id}/verify`.
describe.each(DIALECTS)('step-up before sensitive actions (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, { fake: true, smtpUrl: smtp.url })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  const clock = () => server.clock as { advance(ms: number): void }
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })

  const setReverification = async (body: object) => {
    const r = await fetchJson(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reverification: body }),
    })
    expect(r.status).toBe(200)
    return r.json
  }

  async function signedIn() {
    const email = `step-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    const sid = await b.signIn(email, PASSWORD)
    return { email, userId: user.id, b, sid }
  }

  /** Enrols TOTP through the profile; the enrolment code's step is then spent. */
  async function withTotp(b: BrowserClient) {
    const made = await b.post('/v1/me/totp')
    expect(made.status).toBe(200)
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await b.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(verified.status).toBe(200)
    clock().advance(31_000)
    return totp
  }

  const changePassword = (b: BrowserClient, form: Record<string, string> = {}) =>
    b.post('/v1/me/change_password', { new_password: NEW_PASSWORD, ...form })
  const verifyPath = (sid: string, step = '') => `/v1/client/sessions/${sid}/verify${step}`
  const fva = async (b: BrowserClient, sid: string) => claimsOf(await b.token(sid)).fva

  it('off by default: a session hours old changes its password with the current one', async () => {
    const env = await fetchJson(`${server.url}/v1/environment`)
    expect(env.json.auth_config.reverification).toBe(false)
    const { b } = await signedIn()
    clock().advance(5 * 60 * MINUTE)
    const r = await changePassword(b, { current_password: PASSWORD })
    expect(r.status).toBe(200)
  })

  it('a stale session is refused with the exact error and nothing changes; a password step-up lets it through', async () => {
    const { email, b, sid } = await signedIn()
    expect(
      await setReverification({ enabled: true, max_age_minutes: 10, level: 'second_factor' }),
    ).toMatchObject({
      reverification: { enabled: true, max_age_minutes: 10, level: 'second_factor' },
    })
    const env = await fetchJson(`${server.url}/v1/environment`)
    expect(env.json.auth_config.reverification).toBe(true)

    clock().advance(11 * MINUTE)
    expect(await fva(b, sid)).toEqual([11, -1])
    const before = await server.snapshot()
    const refused = await changePassword(b, { current_password: PASSWORD })
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual(reverificationError('second_factor', 10))
    // Deleting the account is refused the same way; nothing was written.
    const del = await b.request('POST', '/v1/me?_method=DELETE')
    expect(del.status).toBe(403)
    expect(del.json.errors[0].code).toBe('session_reverification_required')
    expect(await server.snapshot()).toEqual(before)
    expect(
      (
        await new BrowserClient(server.url).post('/v1/client/sign_ins', {
          identifier: email,
          password: PASSWORD,
        })
      ).json.response.status,
    ).toBe('complete')

    // No second factor: Clerk's fallback to the first.
    const started = await b.post(verifyPath(sid), { level: 'second_factor' })
    expect(started.status).toBe(200)
    expect(started.json.response).toMatchObject({
      object: 'session_reverification',
      id: expect.stringMatching(/^sver_/),
      level: 'first_factor',
      status: 'needs_first_factor',
      supported_first_factors: expect.arrayContaining([{ strategy: 'password' }]),
      supported_second_factors: null,
      first_factor_verification: null,
      second_factor_verification: null,
      session: { id: sid, factor_verification_age: [11, -1] },
    })
    const proved = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(proved.status).toBe(200)
    expect(proved.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'password' },
      session: { id: sid, factor_verification_age: [0, -1] },
    })
    expect(proved.json.client.sessions[0].factor_verification_age).toEqual([0, -1])
    // The token minted a moment ago (fva [11, -1]) is not shown again as last_active_token.
    expect(claimsOf(proved.json.client.sessions[0].last_active_token.jwt).fva).toEqual([0, -1])
    expect(await fva(b, sid)).toEqual([0, -1])
    // A finished verification takes no more answers.
    const again = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(again.json.errors[0].code).toBe('verification_already_verified')

    // Clerk's UI sends no current password when reverification is on: the step-up stands in.
    const changed = await changePassword(b)
    expect(changed.status).toBe(200)
    const signIn = await new BrowserClient(server.url).post('/v1/client/sign_ins', {
      identifier: email,
      password: NEW_PASSWORD,
    })
    expect(signIn.json.response.status).toBe('complete')

    // Ten minutes on, stale again.
    clock().advance(10 * MINUTE)
    expect((await changePassword(b)).status).toBe(403)
  })

  it('a fresh session proved no password: without the current one it must step up first', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'second_factor' })
    const { email, b, sid } = await signedIn()
    const before = await server.snapshot()
    const refused = await changePassword(b)
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual(reverificationError('second_factor', 10))
    expect(await server.snapshot()).toEqual(before)
    // With the current password it is the ordinary change.
    const withCurrent = await changePassword(b, { current_password: PASSWORD })
    expect(withCurrent.status).toBe(200)
    // A step-up of this session then stands in for it.
    expect((await b.post(verifyPath(sid), { level: 'first_factor' })).status).toBe(200)
    const proved = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'password',
      password: NEW_PASSWORD,
    })
    expect(proved.status).toBe(200)
    const next = await b.post('/v1/me/change_password', { new_password: `${NEW_PASSWORD} 2` })
    expect(next.status).toBe(200)
    const signIn = await new BrowserClient(server.url).post('/v1/client/sign_ins', {
      identifier: email,
      password: `${NEW_PASSWORD} 2`,
    })
    expect(signIn.json.response.status).toBe('complete')
  })

  it('a stale session may not add a way in: an address, a new primary, a passkey, an authenticator', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'second_factor' })
    const { b, userId } = await signedIn()
    const other = await clerk().emailAddresses.createEmailAddress({
      userId,
      emailAddress: `second-${dialect}-${++n}@example.com`,
      verified: true,
    })
    clock().advance(11 * MINUTE)
    const before = await server.snapshot()
    const attempts = [
      await b.post('/v1/me/email_addresses', { email_address: `thief-${dialect}@example.com` }),
      await b.post('/v1/me?_method=PATCH', { primary_email_address_id: other.id }),
      await b.post('/v1/me/passkeys'),
      await b.post('/v1/me/totp'),
    ]
    for (const r of attempts) {
      expect(r.status).toBe(403)
      expect(r.json.errors[0].code).toBe('session_reverification_required')
    }
    expect(await server.snapshot()).toEqual(before)
  })

  it('TOTP at second_factor: removing it and replacing backup codes need a fresh code', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'second_factor' })
    const { b, sid, userId } = await signedIn()
    const totp = await withTotp(b)
    // Signed in with a password only: a second factor was never proved on this session.
    expect((await b.request('POST', '/v1/me/totp?_method=DELETE')).json).toEqual(
      reverificationError('second_factor', 10),
    )
    expect((await b.post('/v1/me/backup_codes')).status).toBe(403)
    expect((await clerk().users.getUser(userId)).totpEnabled).toBe(true)

    const started = await b.post(verifyPath(sid), { level: 'second_factor' })
    expect(started.json.response).toMatchObject({
      level: 'second_factor',
      status: 'needs_second_factor',
      supported_second_factors: [{ strategy: 'totp' }, { strategy: 'backup_code' }],
    })
    // The first factor is not this verification's step.
    const wrongStep = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(wrongStep.status).toBe(400)
    expect(wrongStep.json.errors[0].code).toBe('verification_missing')
    expect(
      (await b.post(verifyPath(sid, '/prepare_second_factor'), { strategy: 'totp' })).status,
    ).toBe(200)
    const wrong = await b.post(verifyPath(sid, '/attempt_second_factor'), {
      strategy: 'totp',
      code: '000000',
    })
    expect(wrong.status).toBe(422)
    expect(wrong.json.errors[0].code).toBe('form_code_incorrect')
    clock().advance(2 * MINUTE)
    const done = await b.post(verifyPath(sid, '/attempt_second_factor'), {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(done.status).toBe(200)
    expect(done.json.response).toMatchObject({
      status: 'complete',
      second_factor_verification: { status: 'verified', strategy: 'totp' },
    })
    expect(await fva(b, sid)).toEqual([2, 0])

    const codes = await b.post('/v1/me/backup_codes')
    expect(codes.status).toBe(200)
    const removed = await b.request('POST', '/v1/me/totp?_method=DELETE')
    expect(removed.status).toBe(200)
    expect((await clerk().users.getUser(userId)).totpEnabled).toBe(false)
  })

  it('multi_factor asks for the password, then the code', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'multi_factor' })
    const { b, sid } = await signedIn()
    const totp = await withTotp(b)
    clock().advance(11 * MINUTE)
    const started = await b.post(verifyPath(sid), { level: 'multi_factor' })
    expect(started.json.response).toMatchObject({
      level: 'multi_factor',
      status: 'needs_first_factor',
    })
    const first = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(first.json.response.status).toBe('needs_second_factor')
    // Half-way: still refused.
    expect((await b.post('/v1/me/backup_codes')).status).toBe(403)
    const second = await b.post(verifyPath(sid, '/attempt_second_factor'), {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(second.json.response.status).toBe('complete')
    expect(await fva(b, sid)).toEqual([0, 0])
    expect((await b.post('/v1/me/backup_codes')).status).toBe(200)
  })

  it('wrong passwords are limited per verification: the third fails it, then even the right one', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'first_factor' })
    const { b, sid } = await signedIn()
    clock().advance(11 * MINUTE)
    await b.post(verifyPath(sid), { level: 'first_factor' })
    const attempt = (password: string) =>
      b.post(verifyPath(sid, '/attempt_first_factor'), { strategy: 'password', password })
    expect((await attempt('wrong one')).json.errors[0].code).toBe('form_password_incorrect')
    expect((await attempt('wrong two')).json.errors[0].code).toBe('form_password_incorrect')
    expect((await attempt('wrong three')).json.errors[0].code).toBe('verification_failed')
    expect((await attempt(PASSWORD)).json.errors[0].code).toBe('verification_failed')
    expect(await fva(b, sid)).toEqual([11, -1])
    expect((await changePassword(b)).status).toBe(403)
    // A new verification may be started (limited per session), and then the password works.
    await b.post(verifyPath(sid), { level: 'first_factor' })
    expect((await attempt(PASSWORD)).json.response.status).toBe('complete')
    expect((await changePassword(b)).status).toBe(200)
  })

  it("one session's verification is not another's", async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'first_factor' })
    const { email, b: a, sid: sidA } = await signedIn()
    const b = new BrowserClient(server.url, server.url)
    const sidB = await b.signIn(email, PASSWORD)
    clock().advance(11 * MINUTE)
    await a.post(verifyPath(sidA), { level: 'first_factor' })
    // Browser B cannot reach A's session, nor answer its verification.
    const foreign = await b.post(verifyPath(sidA, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(foreign.status).toBe(404)
    expect(foreign.json.errors[0].code).toBe('resource_not_found')
    // B has no verification of its own to answer.
    const none = await b.post(verifyPath(sidB, '/attempt_first_factor'), {
      strategy: 'password',
      password: PASSWORD,
    })
    expect(none.status).toBe(400)
    expect(none.json.errors[0].code).toBe('verification_missing')
    expect(
      (
        await a.post(verifyPath(sidA, '/attempt_first_factor'), {
          strategy: 'password',
          password: PASSWORD,
        })
      ).json.response.status,
    ).toBe('complete')
    expect(await fva(a, sidA)).toEqual([0, -1])
    expect(await fva(b, sidB)).toEqual([11, -1])
    expect((await changePassword(b)).status).toBe(403)
    expect((await changePassword(a)).status).toBe(200)
  })

  it('an email code proves the first factor too (the engine: a single-use code, counted on its row)', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'first_factor' })
    const { email, b, sid } = await signedIn()
    clock().advance(11 * MINUTE)
    const started = await b.post(verifyPath(sid), { level: 'first_factor' })
    const factor = started.json.response.supported_first_factors.find(
      (f: { strategy: string }) => f.strategy === 'email_code',
    )
    expect(factor).toMatchObject({ strategy: 'email_code', email_address_id: expect.any(String) })
    const at = smtp.messages.length
    const prep = await b.post(verifyPath(sid, '/prepare_first_factor'), {
      strategy: 'email_code',
      email_address_id: factor.email_address_id,
    })
    expect(prep.status).toBe(200)
    expect(prep.json.response.first_factor_verification).toMatchObject({
      status: 'unverified',
      strategy: 'email_code',
      attempts: 0,
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const wrong = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'email_code',
      code: code === '000000' ? '111111' : '000000',
    })
    expect(wrong.json.errors[0].code).toBe('form_code_incorrect')
    const done = await b.post(verifyPath(sid, '/attempt_first_factor'), {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'email_code', attempts: 2 },
    })
    expect(await fva(b, sid)).toEqual([0, -1])
    expect((await b.request('POST', '/v1/me?_method=DELETE')).status).toBe(200)
  })

  it('bad input: an unknown level or strategy is a 422 and starts nothing', async () => {
    await setReverification({ enabled: true, max_age_minutes: 10, level: 'first_factor' })
    const { b, sid } = await signedIn()
    const badLevel = await b.post(verifyPath(sid), { level: 'strongest' })
    expect(badLevel.status).toBe(422)
    expect(badLevel.json.errors[0].meta.param_name).toBe('level')
    await b.post(verifyPath(sid), { level: 'first_factor' })
    const link = await b.post(verifyPath(sid, '/prepare_first_factor'), { strategy: 'email_link' })
    expect(link.status).toBe(422)
    expect(link.json.errors[0].meta.param_name).toBe('strategy')
    const settings = await fetchJson(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reverification: { max_age_minutes: 0 } }),
    })
    expect(settings.status).toBe(422)
    expect((await server.services.instance.settings()).reverification.max_age_minutes).toBe(10)
  })
})
