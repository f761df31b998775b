import { createClerkClient } from '@clerk/backend'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #17, items 1 and 2: TOTP enrolment and backup codes, server side.
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

/** The code an authenticator app shows for `secret` at `ms` (computed here, as a user's app). */
const codeAt = (secret: string, ms: number) =>
  new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  }).generate({ timestamp: ms })

describe.each(DIALECTS)('TOTP and backup codes (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  let clock: { now(): number; advance(ms: number): void }

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
    })
    clock = server.clock as typeof clock
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  })
  afterAll(() => server.close())

  async function signedIn(email: string) {
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const browser = new BrowserClient(server.url, APP)
    await browser.signIn(email, PASSWORD)
    return { user, browser }
  }

  async function enrol(browser: BrowserClient) {
    const created = await browser.post('/v1/me/totp')
    expect(created.status).toBe(200)
    const secret: string = created.json.response.secret
    const verified = await browser.post('/v1/me/totp/attempt_verification', {
      code: codeAt(secret, clock.now()),
    })
    expect(verified.status).toBe(200)
    return { secret, codes: verified.json.response.backup_codes as string[], verified }
  }

  it('enrols: secret and URI, then a code turns TOTP on and answers backup codes once', async () => {
    const { user, browser } = await signedIn('enrol@example.com')
    const created = await browser.post('/v1/me/totp')
    expect(created.status).toBe(200)
    const t = created.json.response
    expect(t).toMatchObject({ object: 'totp', verified: false, backup_codes: null })
    expect(t.id).toMatch(/^totp_/)
    expect(t.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(t.uri).toContain('otpauth://totp/')
    expect(t.uri).toContain('enrol%40example.com')
    expect(t.uri).toMatch(/algorithm=SHA1&digits=6&period=30/)
    expect(specErrors('Client.ClientWrappedTOTP', created.json)).toEqual([])

    // A second create before verification replaces the secret.
    const again = (await browser.post('/v1/me/totp')).json.response
    expect(again.secret).not.toBe(t.secret)
    const stale = await browser.post('/v1/me/totp/attempt_verification', {
      code: codeAt(t.secret, clock.now()),
    })
    expect(stale.status).toBe(422)
    expect(stale.json.errors[0]).toMatchObject({
      code: 'form_code_incorrect',
      meta: { param_name: 'code' },
    })

    const ok = await browser.post('/v1/me/totp/attempt_verification', {
      code: codeAt(again.secret, clock.now()),
    })
    expect(ok.status).toBe(200)
    const v = ok.json.response
    expect(v).toMatchObject({ object: 'totp', verified: true, secret: null, uri: null })
    expect(v.backup_codes).toHaveLength(10)
    for (const c of v.backup_codes) expect(c).toMatch(/^[a-z0-9]{8}$/)
    expect(specErrors('Client.ClientWrappedTOTP', ok.json)).toEqual([])
    expect(ok.json.client.sessions[0].user).toMatchObject({
      two_factor_enabled: true,
      totp_enabled: true,
      backup_code_enabled: true,
    })

    const u = await clerk.users.getUser(user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([true, true, true])

    // One verified TOTP per user.
    const dup = await browser.post('/v1/me/totp')
    expect(dup.status).toBe(422)
    expect(dup.json.errors[0].code).toBe('totp_already_enabled')
  })

  it('checkTotp accepts a code once, and no earlier one after it', async () => {
    const { user, browser } = await signedIn('replay@example.com')
    const { secret } = await enrol(browser)
    // The enrolment code's step is used: a sign-in needs the next code.
    const row = () => server.services.users.getById(user.id)
    expect(await server.services.mfa.checkTotp(await row(), codeAt(secret, clock.now()))).toBe(
      false,
    )
    clock.advance(30_000)
    const code = codeAt(secret, clock.now())
    const [a, b] = await Promise.all([
      server.services.mfa.checkTotp(await row(), code),
      server.services.mfa.checkTotp(await row(), code),
    ])
    expect([a, b].sort()).toEqual([false, true])
    expect(await server.services.mfa.checkTotp(await row(), code)).toBe(false)
    clock.advance(30_000)
    const earlier = codeAt(secret, clock.now() - 30_000)
    expect(await server.services.mfa.checkTotp(await row(), earlier)).toBe(false)
    expect(await server.services.mfa.checkTotp(await row(), codeAt(secret, clock.now()))).toBe(true)
    expect(await server.services.mfa.checkTotp(await row(), 'abcdef')).toBe(false)
  })

  it('a backup code works once; the last one used turns backup codes off', async () => {
    const { user, browser } = await signedIn('backup@example.com')
    const { codes } = await enrol(browser)
    const row = () => server.services.users.getById(user.id)
    const first = codes[0] as string
    expect(await server.services.mfa.useBackupCode(await row(), first.toUpperCase())).toBe(true)
    expect(await server.services.mfa.useBackupCode(await row(), first)).toBe(false)
    expect(await server.services.mfa.useBackupCode(await row(), 'zzzzzzzz')).toBe(false)
    const [x, y] = await Promise.all([
      server.services.mfa.useBackupCode(await row(), codes[1] as string),
      server.services.mfa.useBackupCode(await row(), codes[1] as string),
    ])
    expect([x, y].sort()).toEqual([false, true])
    for (const c of codes.slice(2)) expect(await server.services.mfa.useBackupCode(await row(), c))
    const u = await clerk.users.getUser(user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([true, true, false])

    // Regenerating replaces every code; the old ones are gone.
    const regen = await browser.post('/v1/me/backup_codes')
    expect(regen.status).toBe(200)
    expect(regen.json.response).toMatchObject({ object: 'backup_code' })
    expect(regen.json.response.codes).toHaveLength(10)
    expect(specErrors('Client.ClientWrappedBackupCodes', regen.json)).toEqual([])
    const fresh = regen.json.response.codes as string[]
    const again = (await browser.post('/v1/me/backup_codes')).json.response.codes as string[]
    expect(await server.services.mfa.useBackupCode(await row(), fresh[0] as string)).toBe(false)
    expect(await server.services.mfa.useBackupCode(await row(), again[0] as string)).toBe(true)
    expect((await clerk.users.getUser(user.id)).backupCodeEnabled).toBe(true)
  })

  it('backup codes need TOTP first', async () => {
    const { browser } = await signedIn('nocodes@example.com')
    const before = await count('backup_codes')
    const r = await browser.post('/v1/me/backup_codes')
    expect(r.status).toBe(422)
    expect(r.json.errors[0].code).toBe('backup_codes_not_available_code')
    expect(await count('backup_codes')).toBe(before)
  })

  it('limits wrong enrolment codes to 3 per 10 minutes', async () => {
    const { browser } = await signedIn('limited@example.com')
    const { secret } = (await browser.post('/v1/me/totp')).json.response
    const wrong = codeAt(secret, clock.now() + 10 * 60_000)
    for (let i = 0; i < 3; i++) {
      const r = await browser.post('/v1/me/totp/attempt_verification', { code: wrong })
      expect(r.json.errors[0].code).toBe('form_code_incorrect')
    }
    const locked = await browser.post('/v1/me/totp/attempt_verification', {
      code: codeAt(secret, clock.now()),
    })
    expect(locked.status).toBe(429)
    expect(locked.json.errors[0].code).toBe('too_many_requests')
    expect((await browser.get('/v1/me')).json.response.totp_enabled).toBe(false)
    clock.advance(10 * 60_000 + 1)
    const ok = await browser.post('/v1/me/totp/attempt_verification', {
      code: codeAt(secret, clock.now()),
    })
    expect(ok.status).toBe(200)
  })

  it('DELETE /v1/me/totp removes it and its backup codes', async () => {
    const { user, browser } = await signedIn('remove@example.com')
    const { codes } = await enrol(browser)
    const del = await browser.post('/v1/me/totp?_method=DELETE')
    expect(del.status).toBe(200)
    expect(del.json.response).toMatchObject({ object: 'totp', deleted: true })
    expect(del.json.client.sessions[0].user.two_factor_enabled).toBe(false)
    const row = await server.services.users.getById(user.id)
    expect(await server.services.mfa.useBackupCode(row, codes[0] as string)).toBe(false)
    expect((await browser.post('/v1/me/totp?_method=DELETE')).status).toBe(404)
  })

  it("@clerk/backend's disableUserMFA, deleteUserTOTP and deleteUserBackupCodes", async () => {
    const a = await signedIn('ops-a@example.com')
    await enrol(a.browser)
    expect(await clerk.users.deleteUserBackupCodes(a.user.id)).toMatchObject({ user_id: a.user.id })
    let u = await clerk.users.getUser(a.user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([true, true, false])
    expect(await clerk.users.deleteUserTOTP(a.user.id)).toMatchObject({ user_id: a.user.id })
    u = await clerk.users.getUser(a.user.id)
    expect(u.twoFactorEnabled).toBe(false)

    const b = await signedIn('ops-b@example.com')
    await enrol(b.browser)
    expect(await clerk.users.disableUserMFA(b.user.id)).toMatchObject({ user_id: b.user.id })
    u = await clerk.users.getUser(b.user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([false, false, false])
    const rows = await server.db.db
      .selectFrom('backup_codes')
      .select('id')
      .where('user_id', '=', b.user.id)
      .execute()
    expect(rows).toEqual([])
    // Enrolling again works after an operator reset.
    await enrol(b.browser)
    await expect(clerk.users.disableUserMFA('user_doesnotexist')).rejects.toMatchObject({
      status: 404,
    })
  })

  it('keeps secrets sealed and codes hashed in the database', async () => {
    const { browser } = await signedIn('sealed@example.com')
    const { secret, codes } = await enrol(browser)
    const dump = JSON.stringify([
      await server.db.db.selectFrom('totp_secrets').selectAll().execute(),
      await server.db.db.selectFrom('backup_codes').selectAll().execute(),
    ])
    expect(dump).not.toContain(secret)
    for (const c of codes) expect(dump).not.toContain(c)
  })

  it('refuses bad input with a 4xx and writes nothing', async () => {
    const { browser } = await signedIn('bad@example.com')
    const before = [await count('totp_secrets'), await count('backup_codes')]
    const noTotp = await browser.post('/v1/me/totp/attempt_verification', { code: '123456' })
    expect(noTotp.status).toBe(404)
    await browser.post('/v1/me/totp')
    const cases: Array<Record<string, string>> = [{}, { code: '' }, { code: 'x'.repeat(40) }]
    for (const body of cases) {
      const r = await browser.post('/v1/me/totp/attempt_verification', body)
      expect(r.status).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
    }
    const anon = new BrowserClient(server.url, APP)
    expect((await anon.post('/v1/me/totp')).status).toBe(401)
    expect((await anon.post('/v1/me/backup_codes')).status).toBe(401)
    expect(await count('backup_codes')).toBe(before[1])
    expect(await count('totp_secrets')).toBe((before[0] as number) + 1)
    expect((await browser.get('/v1/me')).json.response.totp_enabled).toBe(false)
  })

  async function count(table: 'totp_secrets' | 'backup_codes'): Promise<number> {
    const r = await server.db.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }
})
