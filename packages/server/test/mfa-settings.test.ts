import { createClerkClient } from '@clerk/backend'
import { Secret, TOTP } from 'otpauth'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { codeFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #17 items 3 and 6: the operator's second-factor settings (`second_factors`), what
// `/v1/environment` says of them, and an email code as a second factor, the mail read from a
// real SMTP server.
const PASSWORD = 'a long enough passphrase'
const DEFAULTS = { totp: true, backup_code: true, email_code: false }

describe.each(DIALECTS)('second-factor settings (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let clerk: ReturnType<typeof createClerkClient>
  let clock: { now(): number; advance(ms: number): void }
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, { fake: true, smtpUrl: smtp.url })
    clock = server.clock as typeof clock
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })
  afterEach(async () => {
    await settings({ second_factors: DEFAULTS })
  })

  const settings = (body?: unknown) =>
    fetchJson(`${server.url}/v1/instance/user_settings`, {
      method: body === undefined ? 'GET' : 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  /** A user signed in on a browser of their own. */
  async function signedIn() {
    const email = `mfa-settings-${dialect}-${++n}@example.com`
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const browser = new BrowserClient(server.url, server.url)
    await browser.signIn(email, PASSWORD)
    return { email, user, browser }
  }

  /** TOTP enrolled through the profile; the enrolment's step is then spent, so move past it. */
  async function enrol(browser: BrowserClient) {
    const made = await browser.post('/v1/me/totp')
    expect(made.status).toBe(200)
    const totp = new TOTP({ secret: Secret.fromBase32(made.json.response.secret) })
    const verified = await browser.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: clock.now() }),
    })
    expect(verified.status).toBe(200)
    clock.advance(31_000)
    return { totp, backupCodes: verified.json.response.backup_codes as string[] | null }
  }

  /** The password step of a fresh browser: the sign-in it answers. */
  async function passwordStep(email: string) {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.status).toBe(200)
    return { b, signIn: r.json.response }
  }

  it('GET shows the defaults; PATCH changes one flag and keeps the rest; bad input changes nothing', async () => {
    const got = await settings()
    expect(got.status).toBe(200)
    expect(got.json.second_factors).toEqual(DEFAULTS)
    const on = await settings({ second_factors: { email_code: true } })
    expect(on.status).toBe(200)
    expect(on.json.second_factors).toEqual({ ...DEFAULTS, email_code: true })
    expect(on.json.first_factors).toEqual(got.json.first_factors)
    // Backup codes back up an authenticator app: TOTP alone cannot go.
    const alone = await settings({ second_factors: { totp: false } })
    expect(alone.status).toBe(422)
    expect(alone.json.errors[0]).toMatchObject({
      code: 'form_param_value_invalid',
      meta: { param_name: 'second_factors' },
    })
    for (const bad of [{ sms: true }, { totp: 'no' }]) {
      const r = await settings({ second_factors: bad })
      expect(r.status).toBe(422)
    }
    expect((await settings()).json.second_factors).toEqual({ ...DEFAULTS, email_code: true })
  })

  it('TOTP turned off: enrolling answers second_factor_not_enabled and writes nothing; enrolled users are still asked for their factor', async () => {
    const { email, browser } = await signedIn()
    await enrol(browser)
    expect((await settings({ second_factors: { totp: false, backup_code: false } })).status).toBe(
      200,
    )
    const env = (await fetchJson(`${server.url}/v1/environment`)).json
    expect(env.auth_config.second_factors).toEqual([])
    expect(env.user_settings.attributes.authenticator_app.used_for_second_factor).toBe(false)

    const other = await signedIn()
    const before = await server.snapshot()
    const refused = await other.browser.post('/v1/me/totp')
    expect(refused.status).toBe(403)
    expect(refused.json.errors[0].code).toBe('second_factor_not_enabled')
    expect((await other.browser.post('/v1/me/backup_codes')).json.errors[0].code).toBe(
      'second_factor_not_enabled',
    )
    expect(await server.snapshot()).toEqual(before)

    // The switch stops new enrolment only: a factor the user enrolled still guards the account
    // (failing open would let the password alone in).
    const { signIn } = await passwordStep(email)
    expect(signIn).toMatchObject({
      status: 'needs_second_factor',
      supported_second_factors: [{ strategy: 'totp' }, { strategy: 'backup_code' }],
    })
  })

  it('backup codes turned off: TOTP enrols without them; a user who has codes keeps them', async () => {
    const old = await signedIn()
    const { backupCodes } = await enrol(old.browser)
    expect(backupCodes).toHaveLength(10)
    expect((await settings({ second_factors: { backup_code: false } })).status).toBe(200)

    const fresh = await signedIn()
    const { backupCodes: none } = await enrol(fresh.browser)
    expect(none).toBeNull()
    expect((await clerk.users.getUser(fresh.user.id)).backupCodeEnabled).toBe(false)
    expect((await fresh.browser.post('/v1/me/backup_codes')).status).toBe(403)

    // The user who has backup codes keeps them, as an enrolled TOTP is kept (fail closed).
    const { b, signIn } = await passwordStep(old.email)
    expect(signIn).toMatchObject({
      status: 'needs_second_factor',
      supported_second_factors: [{ strategy: 'totp' }, { strategy: 'backup_code' }],
    })
    const r = await b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, {
      strategy: 'backup_code',
      code: backupCodes?.[0] ?? '',
    })
    expect(r.status).toBe(200)
    expect(r.json.response.status).toBe('complete')
    // The user who enrolled after the switch has none to offer.
    const later = await passwordStep(fresh.email)
    expect(later.signIn.supported_second_factors).toEqual([{ strategy: 'totp' }])
  })

  it('email_code as a second factor: offered to enrolled users only, mailed to the primary address, single use', async () => {
    const { email, user, browser } = await signedIn()
    await enrol(browser)
    const plain = await signedIn()
    // Off (the default): not offered, and refused by name.
    const offBefore = await passwordStep(email)
    expect(offBefore.signIn.supported_second_factors).toEqual([
      { strategy: 'totp' },
      { strategy: 'backup_code' },
    ])
    const refused = await offBefore.b.post(
      `/v1/client/sign_ins/${offBefore.signIn.id}/prepare_second_factor`,
      { strategy: 'email_code' },
    )
    expect(refused.status).toBe(422)

    expect((await settings({ second_factors: { email_code: true } })).status).toBe(200)
    // A user without MFA still signs in with the password alone (no Client Trust here).
    expect((await passwordStep(plain.email)).signIn.status).toBe('complete')

    const { b, signIn } = await passwordStep(email)
    const emailId = user.emailAddresses[0]?.id
    expect(signIn.supported_second_factors).toEqual([
      { strategy: 'totp' },
      { strategy: 'backup_code' },
      { strategy: 'email_code', safe_identifier: email, email_address_id: emailId, primary: true },
    ])
    const at = smtp.messages.length
    const prepared = await b.post(`/v1/client/sign_ins/${signIn.id}/prepare_second_factor`, {
      strategy: 'email_code',
      email_address_id: emailId ?? '',
    })
    expect(prepared.status).toBe(200)
    expect(prepared.json.response).toMatchObject({
      status: 'needs_second_factor',
      second_factor_verification: { status: 'unverified', strategy: 'email_code' },
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const attempt = (c: string) =>
      b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, {
        strategy: 'email_code',
        code: c,
      })
    const wrong = await attempt(code === '000000' ? '111111' : '000000')
    expect(wrong.status).toBe(422)
    expect(wrong.json.errors[0].code).toBe('form_code_incorrect')
    const done = await attempt(code)
    expect(done.status).toBe(200)
    expect(done.json.response).toMatchObject({
      status: 'complete',
      second_factor_verification: { status: 'verified', strategy: 'email_code' },
    })
    expect(done.json.response.created_session_id).toMatch(/^sess_/)
    // Used once: the finished sign-in takes no more codes.
    expect((await attempt(code)).status).toBe(400)

    // Another address than the primary one is not offered.
    const { b: b2, signIn: s2 } = await passwordStep(email)
    const other = await b2.post(`/v1/client/sign_ins/${s2.id}/prepare_second_factor`, {
      strategy: 'email_code',
      email_address_id: 'idn_notthisone',
    })
    expect(other.status).toBe(422)
    expect(other.json.errors[0].code).toBe('strategy_for_user_invalid')

    // After an email code as the first factor, an email code to the same inbox is no second
    // factor: not offered, and refused by name, nothing sent.
    const b3 = new BrowserClient(server.url, server.url)
    const started = await b3.post('/v1/client/sign_ins', { identifier: email })
    expect(started.status).toBe(200)
    const sid = started.json.response.id as string
    const before = smtp.messages.length
    const first = await b3.post(`/v1/client/sign_ins/${sid}/prepare_first_factor`, {
      strategy: 'email_code',
      email_address_id: emailId ?? '',
    })
    expect(first.status).toBe(200)
    const firstCode = codeFrom(await smtp.waitForMail(email, { after: before }))
    const proved = await b3.post(`/v1/client/sign_ins/${sid}/attempt_first_factor`, {
      strategy: 'email_code',
      code: firstCode,
    })
    expect(proved.status).toBe(200)
    expect(proved.json.response).toMatchObject({
      status: 'needs_second_factor',
      supported_second_factors: [{ strategy: 'totp' }, { strategy: 'backup_code' }],
    })
    const sent = smtp.messages.length
    const again = await b3.post(`/v1/client/sign_ins/${sid}/prepare_second_factor`, {
      strategy: 'email_code',
      email_address_id: emailId ?? '',
    })
    expect(again.status).toBe(422)
    expect(again.json.errors[0].meta.param_name).toBe('strategy')
    expect(smtp.messages.length).toBe(sent)
  })
})
