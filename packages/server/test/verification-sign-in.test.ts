import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'correct horse battery staple'

// Issue #16: passwordless sign-in by email code or link, and "Forgot password?", the codes and
// links read from a real SMTP server.
describe.each(DIALECTS)('sign-in with email factors (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      fake: true,
    })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  /** A user made by the operator (verified address), as in Clerk. */
  async function newUser() {
    const email = `signin-${dialect}-${++n}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    return { email, user }
  }

  async function begin(browser: BrowserClient, identifier: string) {
    const r = await browser.post('/v1/client/sign_ins', { identifier })
    expect(r.status).toBe(200)
    return r.json.response
  }

  it('lists the email factors with the address the person typed, and signs in with a code', async () => {
    const { email, user } = await newUser()
    const browser = new BrowserClient(server.url, server.url)
    const signIn = await begin(browser, email)
    const emailId = user.emailAddresses[0]?.id
    expect(signIn.status).toBe('needs_first_factor')
    expect(signIn.supported_first_factors).toEqual([
      { strategy: 'email_code', safe_identifier: email, email_address_id: emailId, primary: true },
      { strategy: 'email_link', safe_identifier: email, email_address_id: emailId, primary: true },
      { strategy: 'password' },
      {
        strategy: 'reset_password_email_code',
        safe_identifier: email,
        email_address_id: emailId,
        primary: true,
      },
    ])
    const at = smtp.messages.length
    const prep = await browser.post(`/v1/client/sign_ins/${signIn.id}/prepare_first_factor`, {
      strategy: 'email_code',
      email_address_id: emailId ?? '',
    })
    expect(prep.status).toBe(200)
    expect(prep.json.response.first_factor_verification).toMatchObject({
      status: 'unverified',
      strategy: 'email_code',
      attempts: 0,
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await browser.post(`/v1/client/sign_ins/${signIn.id}/attempt_first_factor`, {
      strategy: 'email_code',
      code,
    })
    expect(done.status).toBe(200)
    expect(done.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'email_code' },
    })
    expect(done.json.client.last_active_session_id).toBe(done.json.response.created_session_id)
    // Single use: the same code cannot complete it again.
    const again = await browser.post(`/v1/client/sign_ins/${signIn.id}/attempt_first_factor`, {
      strategy: 'email_code',
      code,
    })
    expect(again.status).toBe(400)
  })

  it('a code issued for one sign-in cannot complete another', async () => {
    const { email } = await newUser()
    const browser = new BrowserClient(server.url, server.url)
    const first = await begin(browser, email)
    const at = smtp.messages.length
    await browser.post(`/v1/client/sign_ins/${first.id}/prepare_first_factor`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const attacker = new BrowserClient(server.url, server.url)
    const second = await begin(attacker, email)
    const at2 = smtp.messages.length
    await attacker.post(`/v1/client/sign_ins/${second.id}/prepare_first_factor`, {
      strategy: 'email_code',
    })
    await smtp.waitForMail(email, { after: at2 })
    const r = await attacker.post(`/v1/client/sign_ins/${second.id}/attempt_first_factor`, {
      strategy: 'email_code',
      code,
    })
    // A collision of two random codes is one in a million; the row is bound to its own sign-in.
    expect(r.json.errors?.[0]?.code ?? 'complete').toBe('form_code_incorrect')
  })

  it('signs in with a link opened in the same browser (create with strategy prepares at once)', async () => {
    const { email } = await newUser()
    const browser = new BrowserClient(server.url, server.url)
    const at = smtp.messages.length
    const r = await browser.post('/v1/client/sign_ins', {
      identifier: email,
      strategy: 'email_link',
      redirect_url: `${server.url}/after`,
    })
    expect(r.status).toBe(200)
    expect(r.json.response.first_factor_verification).toMatchObject({
      status: 'unverified',
      strategy: 'email_link',
    })
    const link = new URL(linkFrom(await smtp.waitForMail(email, { after: at })))
    const opened = await browser.send('GET', link.pathname + link.search)
    expect(opened.status).toBe(303)
    const to = new URL(opened.headers.get('location') ?? '')
    expect(to.searchParams.get('__clerk_status')).toBe('verified')
    const polled = await browser.get(`/v1/client/sign_ins/${r.json.response.id}`)
    expect(polled.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'email_link' },
    })
    expect(polled.json.client.sessions).toHaveLength(1)
  })

  it('forgot password: code, new password, signed in; the old password fails and other sessions end', async () => {
    const { email } = await newUser()
    const laptop = new BrowserClient(server.url, server.url)
    await laptop.signIn(email, PASSWORD)
    const browser = new BrowserClient(server.url, server.url)
    const signIn = await begin(browser, email)
    const at = smtp.messages.length
    const prep = await browser.post(`/v1/client/sign_ins/${signIn.id}/prepare_first_factor`, {
      strategy: 'reset_password_email_code',
    })
    expect(prep.status).toBe(200)
    const mail = await smtp.waitForMail(email, { after: at })
    expect(mail.subject.toLowerCase()).toContain('password')
    const proved = await browser.post(`/v1/client/sign_ins/${signIn.id}/attempt_first_factor`, {
      strategy: 'reset_password_email_code',
      code: codeFrom(mail),
    })
    expect(proved.json.response.status).toBe('needs_new_password')
    expect(proved.json.response.created_session_id).toBeNull()
    const weak = await browser.post(`/v1/client/sign_ins/${signIn.id}/reset_password`, {
      password: 'short',
    })
    expect(weak.status).toBe(422)
    const reset = await browser.post(`/v1/client/sign_ins/${signIn.id}/reset_password`, {
      password: 'a brand new passphrase',
      sign_out_of_other_sessions: 'true',
    })
    expect(reset.status).toBe(200)
    expect(reset.json.response.status).toBe('complete')
    const laptopClient = await laptop.get('/v1/client')
    expect(laptopClient.json.response?.sessions ?? []).toHaveLength(0)
    await expect(
      new BrowserClient(server.url, server.url).signIn(email, PASSWORD),
    ).rejects.toThrow()
    await new BrowserClient(server.url, server.url).signIn(email, 'a brand new passphrase')
  })

  it('reset_password before a proved code is refused and changes nothing', async () => {
    const { email } = await newUser()
    const browser = new BrowserClient(server.url, server.url)
    const signIn = await begin(browser, email)
    const r = await browser.post(`/v1/client/sign_ins/${signIn.id}/reset_password`, {
      password: 'a brand new passphrase',
    })
    expect(r.status).toBe(400)
    expect(r.json.errors[0].code).toBe('sign_in_not_ready')
    await new BrowserClient(server.url, server.url).signIn(email, PASSWORD)
  })

  it('a locked user cannot sign in with an email code', async () => {
    const { email, user } = await newUser()
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.lockUser(user.id)
    const browser = new BrowserClient(server.url, server.url)
    const signIn = await begin(browser, email)
    const at = smtp.messages.length
    await browser.post(`/v1/client/sign_ins/${signIn.id}/prepare_first_factor`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const r = await browser.post(`/v1/client/sign_ins/${signIn.id}/attempt_first_factor`, {
      strategy: 'email_code',
      code,
    })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('user_locked')
  })
})
