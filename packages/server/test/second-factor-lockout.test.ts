import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'second factor horse battery'
const HOUR = 3_600_000

// MFA hardening after issue #17: second factors were limited per sign-in (3) and per IP only,
// so with the password an attacker could start sign-in after sign-in and guess TOTP codes at
// ~26k a day. Now the account counts consecutive wrong second factors — sign-in and step-up,
// TOTP and backup codes — and from the 10th on refuses them (403 `user_locked`) for
// LATCHKEY_LOCKOUT_SECONDS; a right code clears the count; a known device is exempt.
describe.each(DIALECTS)('per-account second-factor limit (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const clock = () => server.clock as { advance(ms: number): void }
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })

  /** A user with TOTP enrolled from `owner` (which is then a known device of theirs). */
  async function enrolled() {
    const email = `sf-lock-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = new BrowserClient(server.url, server.url)
    const sid = await owner.signIn(email, PASSWORD)
    const made = await owner.post('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await owner.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(verified.status).toBe(200)
    clock().advance(31_000)
    return { email, userId: user.id, owner, sid, totp }
  }

  /** A stranger's browser (never held a session of the user) past the password. */
  async function passwordKnown(email: string, b = new BrowserClient(server.url, server.url)) {
    const r = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.json.response.status).toBe('needs_second_factor')
    return { b, id: r.json.response.id as string }
  }

  const attempt = (b: BrowserClient, id: string, code: string, strategy = 'totp') =>
    b.post(`/v1/client/sign_ins/${id}/attempt_second_factor`, { strategy, code })

  /** `count` wrong codes, each sign-in taking its 3, every one from a new sign-in after that. */
  async function wrongCodes(email: string, count: number) {
    const answers: string[] = []
    let s = await passwordKnown(email)
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % 3 === 0) s = await passwordKnown(email)
      const strategy = i % 2 === 0 ? 'totp' : 'backup_code'
      const r = await attempt(s.b, s.id, strategy === 'totp' ? '000000' : 'wrongcode', strategy)
      answers.push(r.json.errors[0].code)
    }
    return answers
  }

  it('new sign-ins gain nothing: after 10 wrong codes even the right one is refused, 403 user_locked', async () => {
    const { email, userId, totp } = await enrolled()
    const answers = await wrongCodes(email, 10)
    // Each sign-in still fails after its third (the per-sign-in limit is unchanged).
    expect(answers.slice(0, 3)).toEqual([
      'form_code_incorrect',
      'form_code_incorrect',
      'verification_failed',
    ])
    expect(answers).not.toContain('user_locked')
    const s = await passwordKnown(email)
    const refused = await attempt(s.b, s.id, totp.generate({ timestamp: server.clock.now() }))
    expect(refused.status).toBe(403)
    expect(refused.json.errors[0]).toMatchObject({
      code: 'user_locked',
      meta: { retry_after_seconds: expect.any(Number) },
    })
    expect(refused.json.errors[0].meta.retry_after_seconds).toBeGreaterThan(3500)
    expect(refused.json.errors[0].meta.retry_after_seconds).toBeLessThanOrEqual(3600)
    // The Backend API shows the lockout (Clerk's `locked`, `lockout_expires_in_seconds`).
    const u = await clerk().users.getUser(userId)
    expect(u.locked).toBe(true)
    // The sign-in is still waiting: nothing was completed.
    expect((await s.b.get(`/v1/client/sign_ins/${s.id}`)).json.response.status).toBe(
      'needs_second_factor',
    )
  })

  it('the lock ends after LATCHKEY_LOCKOUT_SECONDS; a further wrong code locks again, a right one clears the count', async () => {
    const { email, totp } = await enrolled()
    await wrongCodes(email, 10)
    clock().advance(HOUR + 1000)
    const again = await passwordKnown(email)
    expect((await attempt(again.b, again.id, '000000')).json.errors[0].code).toBe(
      'form_code_incorrect',
    )
    // The 11th consecutive failure locked the account again at once.
    const next = await passwordKnown(email)
    const locked = await attempt(next.b, next.id, totp.generate({ timestamp: server.clock.now() }))
    expect(locked.json.errors[0].code).toBe('user_locked')
    clock().advance(HOUR + 1000)
    const ok = await passwordKnown(email)
    const done = await attempt(ok.b, ok.id, totp.generate({ timestamp: server.clock.now() }))
    expect(done.json.response.status).toBe('complete')
    // Cleared: nine wrong codes later the right one still works.
    clock().advance(31_000)
    expect(await wrongCodes(email, 9)).not.toContain('user_locked')
    const last = await passwordKnown(email)
    const fine = await attempt(last.b, last.id, totp.generate({ timestamp: server.clock.now() }))
    expect(fine.json.response.status).toBe('complete')
  })

  it('parallel guesses cannot pass the limit: at most 10 are checked', async () => {
    const { email } = await enrolled()
    const signIns = await Promise.all(Array.from({ length: 8 }, () => passwordKnown(email)))
    const results = await Promise.all(
      signIns.flatMap((s) => [0, 1, 2].map(() => attempt(s.b, s.id, '000000'))),
    )
    const codes = results.map((r) => r.json.errors[0].code)
    const checked = codes.filter((c) => c !== 'user_locked')
    expect(checked.length).toBe(10)
    expect(codes.filter((c) => c === 'user_locked').length).toBe(14)
  })

  it('step-up codes count on the same account, and a known device is exempt from the lock', async () => {
    const { email, owner, sid, totp } = await enrolled()
    await wrongCodes(email, 8)
    // Two wrong step-up codes from the owner's own session: the 9th and 10th failures.
    const started = await owner.post(`/v1/client/sessions/${sid}/verify`, {
      level: 'second_factor',
    })
    expect(started.status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const r = await owner.post(`/v1/client/sessions/${sid}/verify/attempt_second_factor`, {
        strategy: 'totp',
        code: '000000',
      })
      expect(r.json.errors[0].code).toBe('form_code_incorrect')
    }
    const stranger = await passwordKnown(email)
    const refused = await attempt(
      stranger.b,
      stranger.id,
      totp.generate({ timestamp: server.clock.now() }),
    )
    expect(refused.json.errors[0].code).toBe('user_locked')
    // The owner's browser held a session of the user: still signs in (and so clears the count).
    const mine = await passwordKnown(email, owner)
    const done = await attempt(owner, mine.id, totp.generate({ timestamp: server.clock.now() }))
    expect(done.status).toBe(200)
    expect(done.json.response.status).toBe('complete')
    clock().advance(31_000)
    const after = await passwordKnown(email)
    const ok = await attempt(after.b, after.id, totp.generate({ timestamp: server.clock.now() }))
    expect(ok.json.response.status).toBe('complete')
  })

  it('an operator unlock clears the second-factor lock too', async () => {
    const { email, userId, totp } = await enrolled()
    await wrongCodes(email, 10)
    const r = await fetchJson(`${server.url}/v1/users/${userId}/unlock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(r.status).toBe(200)
    expect(r.json.locked).toBe(false)
    const s = await passwordKnown(email)
    const done = await attempt(s.b, s.id, totp.generate({ timestamp: server.clock.now() }))
    expect(done.json.response.status).toBe('complete')
  })
})
