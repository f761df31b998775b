import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'scope horse battery staple'
const HOUR = 3_600_000

type Call = { method: 'GET' | 'POST'; path: string; form?: Record<string, string> }

// MFA hardening after issue #17. (1) A pending session (the `setup-mfa` task, a password alone
// got it) could reach all of /v1/me: now it may read the user and set up a second factor, and
// every other /v1/me route answers 403 `not_allowed_access`. (2) Step-up is declared on the
// routes (`sensitive`), and every sensitive route is listed here.
describe.each(DIALECTS)('what /v1/me lets a session do (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const clock = () => server.clock as { advance(ms: number): void }
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const settings = async (body: object, path = '/v1/instance/user_settings') => {
    const r = await fetchJson(`${server.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect([200, 204]).toContain(r.status)
  }

  async function signedIn() {
    const email = `scope-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    const sid = await b.signIn(email, PASSWORD)
    return { b, sid, userId: user.id, email }
  }

  const call = (b: BrowserClient, c: Call) => b.request(c.method, c.path, c.form)

  it('a pending session may read the user and set up TOTP and backup codes, nothing else', async () => {
    await settings({ mfa_required: true })
    await settings({ delete_self_enabled: true }, '/v1/instance')
    try {
      const { b, sid, userId } = await signedIn()
      const me = await b.get('/v1/me')
      expect(me.status).toBe(200)
      expect(me.json.response.id).toBe(userId)
      const refused: Call[] = [
        { method: 'POST', path: '/v1/me?_method=PATCH', form: { first_name: 'Mallory' } },
        { method: 'POST', path: '/v1/me?_method=DELETE' },
        { method: 'POST', path: '/v1/me/metadata?_method=PATCH', form: { unsafe_metadata: '{}' } },
        {
          method: 'POST',
          path: '/v1/me/email_addresses',
          form: { email_address: 'x@example.com' },
        },
        { method: 'GET', path: '/v1/me/email_addresses' },
        {
          method: 'POST',
          path: '/v1/me/change_password',
          form: { new_password: 'a new pass 123 x' },
        },
        { method: 'GET', path: '/v1/me/sessions/active' },
        { method: 'POST', path: `/v1/me/sessions/${sid}/revoke` },
        { method: 'POST', path: '/v1/me/totp?_method=DELETE' },
        { method: 'POST', path: '/v1/me/profile_image?_method=DELETE' },
      ]
      for (const c of refused) {
        const r = await call(b, c)
        expect({ path: c.path, status: r.status, code: r.json?.errors?.[0]?.code }).toEqual({
          path: c.path,
          status: 403,
          code: 'not_allowed_access',
        })
      }
      // Nothing changed.
      const user = await clerk().users.getUser(userId)
      expect(user.firstName).toBeNull()
      expect(user.emailAddresses).toHaveLength(1)
      // The task itself: an authenticator, then backup codes; the session is then active.
      const made = await b.post('/v1/me/totp')
      expect(made.status).toBe(200)
      const totp = new OTPAuth.TOTP({
        secret: OTPAuth.Secret.fromBase32(made.json.response.secret),
      })
      const verified = await b.post('/v1/me/totp/attempt_verification', {
        code: totp.generate({ timestamp: server.clock.now() }),
      })
      expect(verified.status).toBe(200)
      const after = verified.json.client.sessions.find((s: { id: string }) => s.id === sid)
      expect(after.status).toBe('active')
      expect((await b.post('/v1/me/backup_codes')).status).toBe(200)
      const edited = await b.request('POST', '/v1/me?_method=PATCH', { first_name: 'Alice' })
      expect(edited.status).toBe(200)
    } finally {
      await settings({ mfa_required: false })
    }
  })

  it('a pending session may start a passkey (a factor the task may set up)', async () => {
    await settings({ mfa_required: true, first_factors: { passkey: true } })
    try {
      const { b } = await signedIn()
      const r = await b.post('/v1/me/passkeys')
      expect(r.status).toBe(200)
      expect(r.json.response.verification.nonce).toEqual(expect.any(String))
    } finally {
      await settings({ mfa_required: false })
    }
  })

  it('every sensitive route asks a stale session for a step-up, and changes nothing', async () => {
    const { b, userId } = await signedIn()
    const made = await b.post('/v1/me/email_addresses', {
      email_address: `second-${n}@example.com`,
    })
    expect(made.status).toBe(200)
    const emailId = made.json.response.id as string
    await settings({
      reverification: { enabled: true, max_age_minutes: 10, level: 'first_factor' },
    })
    await settings({ delete_self_enabled: true }, '/v1/instance')
    try {
      clock().advance(HOUR)
      const sensitive: Call[] = [
        {
          method: 'POST',
          path: '/v1/me?_method=PATCH',
          form: { primary_email_address_id: emailId },
        },
        { method: 'POST', path: '/v1/me?_method=DELETE' },
        {
          method: 'POST',
          path: '/v1/me/change_password',
          form: { new_password: 'a new pass 123 x' },
        },
        {
          method: 'POST',
          path: '/v1/me/email_addresses',
          form: { email_address: 'y@example.com' },
        },
        {
          method: 'POST',
          path: '/v1/me/email_addresses/',
          form: { email_address: 'z@example.com' },
        },
        { method: 'POST', path: '/v1/me/totp' },
        { method: 'POST', path: '/v1/me/totp?_method=DELETE' },
        { method: 'POST', path: '/v1/me/backup_codes' },
        { method: 'POST', path: '/v1/me/passkeys' },
        { method: 'POST', path: '/v1/me/passkeys/pk_unknown?_method=DELETE' },
      ]
      for (const c of sensitive) {
        const r = await call(b, c)
        expect({ path: c.path, status: r.status, code: r.json?.errors?.[0]?.code }).toEqual({
          path: c.path,
          status: 403,
          code: 'session_reverification_required',
        })
      }
      // Not sensitive: a name.
      const named = await b.request('POST', '/v1/me?_method=PATCH', { first_name: 'Bob' })
      expect(named.status).toBe(200)
      const user = await clerk().users.getUser(userId)
      expect(user.emailAddresses).toHaveLength(2)
      expect(user.primaryEmailAddressId).not.toBe(emailId)
    } finally {
      await settings({ reverification: { enabled: false } })
    }
  })
})
