import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #16: a sign-up proves its email address before the user exists, with a code or a link
// read from a real SMTP server.
describe.each(DIALECTS)('sign-up email verification (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let n = 0
  const address = () => `verify-${dialect}-${++n}@example.com`

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      verifyEmailAtSignUp: true,
      fake: true,
    })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  async function startSignUp(browser: BrowserClient, email: string) {
    const r = await browser.post('/v1/client/sign_ups', {
      email_address: email,
      password: 'correct horse battery staple',
    })
    expect(r.status).toBe(200)
    return r.json.response
  }

  it('waits for the address, sends a code, and completes with it: the address is verified', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const before = await server.snapshot()
    const signUp = await startSignUp(browser, email)
    expect(signUp).toMatchObject({
      status: 'missing_requirements',
      unverified_fields: ['email_address'],
      created_user_id: null,
      created_session_id: null,
      verifications: {
        email_address: {
          status: 'unverified',
          next_action: 'needs_prepare',
          supported_strategies: ['email_code', 'email_link'],
        },
      },
    })
    expect((await server.snapshot()).users).toBe(before.users)

    const at = smtp.messages.length
    const prep = await browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(prep.status).toBe(200)
    expect(prep.json.response.verifications.email_address).toMatchObject({
      status: 'unverified',
      strategy: 'email_code',
      attempts: 0,
      next_action: 'needs_attempt',
    })
    const mail = await smtp.waitForMail(email, { after: at })
    const code = codeFrom(mail)
    expect(code).toMatch(/^\d{6}$/)

    const done = await browser.post(`/v1/client/sign_ups/${signUp.id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.status).toBe(200)
    expect(done.json.response).toMatchObject({
      status: 'complete',
      unverified_fields: [],
      verifications: { email_address: { status: 'verified', strategy: 'email_code' } },
    })
    const userId = done.json.response.created_user_id
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.getUser(userId)
    expect(user.emailAddresses[0]?.verification?.status).toBe('verified')
    // The session's token says so at once.
    const sid = done.json.response.created_session_id
    const tok = await browser.post(`/v1/client/sessions/${sid}/tokens`)
    const claims = JSON.parse(Buffer.from(tok.json.jwt.split('.')[1], 'base64url').toString())
    expect(claims.sub).toBe(userId)
  })

  it('refuses a wrong code, then fails the verification after three, writing no user', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const signUp = await startSignUp(browser, email)
    const at = smtp.messages.length
    await browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const wrong = code === '000000' ? '111111' : '000000'
    const attempt = (c: string) =>
      browser.post(`/v1/client/sign_ups/${signUp.id}/attempt_verification`, {
        strategy: 'email_code',
        code: c,
      })
    const before = await server.snapshot()
    const first = await attempt(wrong)
    expect(first.status).toBe(422)
    expect(first.json.errors[0].code).toBe('form_code_incorrect')
    expect((await attempt(wrong)).json.errors[0].code).toBe('form_code_incorrect')
    expect((await attempt(wrong)).json.errors[0].code).toBe('verification_failed')
    // Even the right code is refused now.
    const late = await attempt(code)
    expect(late.json.errors[0].code).toBe('verification_failed')
    expect(await server.snapshot()).toEqual(before)
  })

  it('refuses an expired code and a resend inside the cooldown', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const signUp = await startSignUp(browser, email)
    const at = smtp.messages.length
    const prepare = () =>
      browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
        strategy: 'email_code',
      })
    expect((await prepare()).status).toBe(200)
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const again = await prepare()
    expect(again.status).toBe(429)
    expect(again.json.errors[0].code).toBe('too_many_requests')
    const clock = server.clock as { advance(ms: number): void }
    clock.advance(11 * 60 * 1000)
    const expired = await browser.post(`/v1/client/sign_ups/${signUp.id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(expired.status).toBe(400)
    expect(expired.json.errors[0].code).toBe('verification_expired')
  })

  it('sends at most 10 messages an hour to one address, however the cooldowns are waited out', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const signUp = await startSignUp(browser, email)
    const clock = server.clock as { advance(ms: number): void }
    const prepare = () =>
      browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
        strategy: 'email_code',
      })
    for (let i = 0; i < 10; i++) {
      expect((await prepare()).status).toBe(200)
      clock.advance(31_000)
    }
    const sent = smtp.messages.length
    const over = await prepare()
    expect(over.status).toBe(429)
    expect(over.json.errors[0]).toMatchObject({
      code: 'too_many_requests',
      meta: { retry_after_seconds: expect.any(Number) },
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(smtp.messages.filter((m) => m.to.includes(email)).length).toBeLessThanOrEqual(10)
    expect(smtp.messages.length).toBeGreaterThanOrEqual(sent)
    clock.advance(3_600_000)
    expect((await prepare()).status).toBe(200)
  })

  it('a link opened in the same browser completes the sign-up; reused, it does nothing', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const signUp = await startSignUp(browser, email)
    const at = smtp.messages.length
    const prep = await browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
      strategy: 'email_link',
      redirect_url: `${server.url}/verified`,
    })
    expect(prep.status).toBe(200)
    const link = linkFrom(await smtp.waitForMail(email, { after: at }))
    const path = new URL(link).pathname + new URL(link).search
    const opened = await browser.send('GET', path)
    expect(opened.status).toBe(303)
    const to = new URL(opened.headers.get('location') ?? '')
    expect(to.searchParams.get('__clerk_status')).toBe('verified')
    const polled = await browser.get(`/v1/client/sign_ups/${signUp.id}`)
    expect(polled.json.response.status).toBe('complete')
    expect(to.searchParams.get('__clerk_created_session')).toBe(
      polled.json.response.created_session_id,
    )
    const reused = await browser.send('GET', path)
    expect(
      new URL(reused.headers.get('location') ?? `${server.url}/x`).searchParams.get(
        '__clerk_status',
      ) ?? 'failed',
    ).not.toBe('verified')
  })

  it('a link opened in another browser proves nothing (client_mismatch)', async () => {
    const browser = new BrowserClient(server.url, server.url)
    const email = address()
    const signUp = await startSignUp(browser, email)
    const at = smtp.messages.length
    await browser.post(`/v1/client/sign_ups/${signUp.id}/prepare_verification`, {
      strategy: 'email_link',
      redirect_url: `${server.url}/verified`,
    })
    const link = linkFrom(await smtp.waitForMail(email, { after: at }))
    const other = new BrowserClient(server.url, server.url)
    const opened = await other.send('GET', new URL(link).pathname + new URL(link).search)
    expect(new URL(opened.headers.get('location') ?? '').searchParams.get('__clerk_status')).toBe(
      'client_mismatch',
    )
    expect((await browser.get(`/v1/client/sign_ups/${signUp.id}`)).json.response.status).toBe(
      'missing_requirements',
    )
  })

  it('an address another user only added, unproved, does not hold it: the owner signs up and takes it', async () => {
    const squatter = new BrowserClient(server.url, server.url)
    const squatterEmail = address()
    const own = await startSignUp(squatter, squatterEmail)
    const at0 = smtp.messages.length
    await squatter.post(`/v1/client/sign_ups/${own.id}/prepare_verification`, {
      strategy: 'email_code',
    })
    const c0 = codeFrom(await smtp.waitForMail(squatterEmail, { after: at0 }))
    const made = await squatter.post(`/v1/client/sign_ups/${own.id}/attempt_verification`, {
      strategy: 'email_code',
      code: c0,
    })
    const squatterId = made.json.response.created_user_id
    const victimEmail = address()
    const added = await squatter.post('/v1/me/email_addresses', { email_address: victimEmail })
    expect(added.status).toBe(200)

    const owner = new BrowserClient(server.url, server.url)
    const mine = await startSignUp(owner, victimEmail)
    const at = smtp.messages.length
    await owner.post(`/v1/client/sign_ups/${mine.id}/prepare_verification`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(victimEmail, { after: at }))
    const done = await owner.post(`/v1/client/sign_ups/${mine.id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response.status).toBe('complete')
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const squatterNow = await clerk.users.getUser(squatterId)
    expect(squatterNow.emailAddresses.map((e) => e.emailAddress)).toEqual([squatterEmail])
    const ownerNow = await clerk.users.getUser(done.json.response.created_user_id)
    expect(ownerNow.emailAddresses[0]).toMatchObject({
      emailAddress: victimEmail,
      verification: { status: 'verified' },
    })
  })

  it('a pending sign-up does not own the address: the owner signs up and the squatter cannot finish', async () => {
    const squatter = new BrowserClient(server.url, server.url)
    const owner = new BrowserClient(server.url, server.url)
    const email = address()
    const squat = await startSignUp(squatter, email)
    const mine = await startSignUp(owner, email)
    const at = smtp.messages.length
    await owner.post(`/v1/client/sign_ups/${mine.id}/prepare_verification`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await owner.post(`/v1/client/sign_ups/${mine.id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response.status).toBe('complete')
    // The squatter's code went to the owner's inbox too: the squatter never sees it, and even
    // the owner's code is no use on the squatter's sign-up.
    const steal = await squatter.post(`/v1/client/sign_ups/${squat.id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(steal.status).toBeGreaterThanOrEqual(400)
  })
})
