import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #16's send limits with LATCHKEY_RATE_LIMIT=off (createTestServer's default, and what
// `npm run bench` runs with): the per-IP limit is off like every per-IP limit, so one IP may send
// for many sign-ins; the per-address limit (10 an hour) still protects each inbox.
describe.each(DIALECTS)('verification send limits with rate limits off (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, { smtpUrl: smtp.url })
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  /** A user made by the operator, without a password (nothing to hash). */
  async function newUser() {
    const email = `limits-${dialect}-${++n}@example.com`
    const r = await fetchJson(`${server.url}/v1/users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ email_address: [email] }),
    })
    expect(r.status).toBe(200)
    return email
  }

  /** A new sign-in that asks for an email code at once: one send. */
  const askCode = (identifier: string) =>
    new BrowserClient(server.url, server.url).post('/v1/client/sign_ins', {
      identifier,
      strategy: 'email_code',
    })

  it('sends past 30 codes an hour from one IP, each to its own address', async () => {
    const at = smtp.messages.length
    const emails: string[] = []
    for (let i = 0; i < 32; i++) emails.push(await newUser())
    for (const email of emails) {
      const r = await askCode(email)
      expect(r.status).toBe(200)
      expect(r.json.response.first_factor_verification).toMatchObject({ strategy: 'email_code' })
    }
    for (const email of emails) await smtp.waitForMail(email, { after: at })
  })

  it('still refuses the 11th code to one address within the hour, sending nothing more', async () => {
    const email = await newUser()
    for (let i = 0; i < 10; i++) expect((await askCode(email)).status).toBe(200)
    const toThis = () => smtp.messages.filter((m) => m.to.includes(email)).length
    await expect.poll(toThis, { timeout: 10_000 }).toBe(10)
    const eleventh = await askCode(email)
    expect(eleventh.status).toBe(429)
    expect(eleventh.json.errors[0].code).toBe('too_many_requests')
    await new Promise((r) => setTimeout(r, 300))
    expect(toThis()).toBe(10)
  })
})
