import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'correct horse battery staple'

// Issue #16: who may sign up, and which factors are on, as an operator sets them through the
// Backend API — refused with Clerk's codes, nothing written and nothing sent.
describe.each(DIALECTS)('sign-up restrictions and enabled factors (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  const bapi = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, { smtpUrl: smtp.url, verifyEmailAtSignUp: true })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  async function refusedSignUp(email: string, code: string) {
    const before = await server.snapshot()
    const sent = smtp.messages.length
    const r = await new BrowserClient(server.url, server.url).post('/v1/client/sign_ups', {
      email_address: email,
      password: PASSWORD,
    })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe(code)
    expect(await server.snapshot()).toEqual(before)
    expect(smtp.messages.length).toBe(sent)
  }

  it('a blocklisted address or domain cannot sign up', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.instance.updateRestrictions({ blocklist: true })
    await clerk.blocklistIdentifiers.createBlocklistIdentifier({ identifier: '*@spam.example' })
    await refusedSignUp(`someone-${dialect}@spam.example`, 'not_allowed_access')
    await clerk.instance.updateRestrictions({ blocklist: false })
  })

  it('restricted mode: only allow-listed addresses sign up', async () => {
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const set = await bapi('PATCH', '/v1/instance/user_settings', {
      sign_up: { mode: 'restricted' },
    })
    expect(set.status).toBe(200)
    await refusedSignUp(`stranger-${dialect}@example.com`, 'sign_up_mode_restricted')
    await clerk.allowlistIdentifiers.createAllowlistIdentifier({
      identifier: `invited-${dialect}@example.com`,
      notify: false,
    })
    const ok = await new BrowserClient(server.url, server.url).post('/v1/client/sign_ups', {
      email_address: `invited-${dialect}@example.com`,
      password: PASSWORD,
    })
    expect(ok.status).toBe(200)
    expect(ok.json.response.status).toBe('missing_requirements')
    await bapi('PATCH', '/v1/instance/user_settings', { sign_up: { mode: 'public' } })
  })

  it('a first factor the operator turned off is refused at prepare, and not offered', async () => {
    const email = `factors-${dialect}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    await bapi('PATCH', '/v1/instance/user_settings', { first_factors: { email_link: false } })
    const b = new BrowserClient(server.url, server.url)
    const signIn = (await b.post('/v1/client/sign_ins', { identifier: email })).json.response
    expect(signIn.supported_first_factors.map((f: { strategy: string }) => f.strategy)).toEqual([
      'email_code',
      'password',
      'reset_password_email_code',
    ])
    const sent = smtp.messages.length
    const r = await b.post(`/v1/client/sign_ins/${signIn.id}/prepare_first_factor`, {
      strategy: 'email_link',
      redirect_url: `${server.url}/x`,
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_param_value_invalid',
      meta: { param_name: 'strategy' },
    })
    expect(smtp.messages.length).toBe(sent)
    await bapi('PATCH', '/v1/instance/user_settings', { first_factors: { email_link: true } })
  })

  it('parallel wrong codes cannot take more than three attempts', async () => {
    const email = `parallel-${dialect}@example.com`
    const b = new BrowserClient(server.url, server.url)
    const su = (await b.post('/v1/client/sign_ups', { email_address: email, password: PASSWORD }))
      .json.response
    const at = smtp.messages.length
    await b.post(`/v1/client/sign_ups/${su.id}/prepare_verification`, { strategy: 'email_code' })
    await smtp.waitForMail(email, { after: at })
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        b.post(`/v1/client/sign_ups/${su.id}/attempt_verification`, {
          strategy: 'email_code',
          code: String(100000 + i * 7919).slice(0, 6),
        }),
      ),
    )
    const codes = guesses.map((g) => g.json.errors?.[0]?.code)
    expect(codes.filter((c) => c === 'form_code_incorrect').length).toBeLessThanOrEqual(2)
    expect(codes.every((c) => c === 'form_code_incorrect' || c === 'verification_failed')).toBe(
      true,
    )
    const after = (await b.get(`/v1/client/sign_ups/${su.id}`)).json.response
    expect(after.verifications.email_address).toMatchObject({ status: 'failed', attempts: 3 })
  })
})
