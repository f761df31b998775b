import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { SamlIdp } from './helpers/saml-idp.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { softAttestation } from './helpers/soft-attestation.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'
import { verifyDelivery, WebhookReceiver } from './helpers/webhook-receiver.js'

const PASSWORD = 'user updates passphrase'
const ACME = 'oauth_custom_acme'
const LOCKOUT_SECONDS = 3600
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)

type Envelope = { type: string; data: Json; object: string }

/*
 * Issue #19: every change to what `GET /v1/users/{id}` renders reaches the app as exactly one
 * `user.updated`, in the change's own write, through the route the user takes: an address proved
 * at sign-in, an account linked at sign-in or from the profile, an automatic lockout, and the
 * profile's own edits. A real receiver on loopback verifies each delivery with `svix`'s
 * `Webhook.verify` (and `standardwebhooks`); `data` must equal the Backend API's user right
 * after. Signing in alone (`last_sign_in_at`) emits none, as in Clerk. The clock is a fake one,
 * so `lockout_expires_in_seconds` reads the same in the event and in the API.
 */
describe.each(DIALECTS)('user.updated for every change a user makes (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let idp: UpstreamIdp
  let saml: SamlIdp
  let acsUrl = ''
  const domain = `acme-${dialect}.test`
  let receiver: WebhookReceiver
  let secret = ''
  let seen = 0
  let n = 0

  const bapi = (method: string, path: string, body?: unknown) =>
    fetchJson(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const clock = () => server.clock as { now(): number; advance(ms: number): void }
  const browser = () => new BrowserClient(server.url, server.url)
  const apiUser = async (id: string): Promise<Json> => {
    const r = await bapi('GET', `/v1/users/${id}`)
    expect(r.status).toBe(200)
    return r.json
  }

  /** What reached the receiver since the last call, each verified as a receiver does. */
  async function delivered(): Promise<Envelope[]> {
    await server.services.webhookWorker.drained()
    const fresh = receiver.received.slice(seen)
    seen = receiver.received.length
    return fresh.map((r) => {
      // Throws unless both `svix`'s and `standardwebhooks`' Webhook.verify accept it.
      expect(() => verifyDelivery(secret, r, clock().now())).not.toThrow()
      return JSON.parse(r.body) as Envelope
    })
  }
  const types = (events: Envelope[]) => events.map((e) => e.type).sort()
  /**
   * Exactly one `user.updated` since the last call (besides `others`), equal to the API's user.
   * `thenSignedIn`: the request went on to complete a sign-in after the change (a lockout
   * lifted, a new password), whose stamp (`last_sign_in_at`, `last_active_at`) is written after
   * the event's transaction and emits nothing: the event has the stamp from before.
   */
  async function oneUpdate(
    userId: string,
    others: string[] = [],
    thenSignedIn?: { before: number | null },
  ): Promise<Json> {
    const events = await delivered()
    expect(types(events)).toEqual(['user.updated', ...others].sort())
    const [updated] = events.filter((e) => e.type === 'user.updated')
    const now = await apiUser(userId)
    if (!thenSignedIn) expect(updated?.data).toEqual(now)
    else {
      expect(now.last_sign_in_at).toBe(clock().now())
      const stamp = { last_sign_in_at: thenSignedIn.before, last_active_at: thenSignedIn.before }
      expect(updated?.data).toEqual({ ...now, ...stamp })
    }
    return updated?.data
  }
  const userOf = async (sessionId: string) =>
    (await bapi('GET', `/v1/sessions/${sessionId}`)).json.user_id as string

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      fake: true,
      smtpUrl: smtp.url,
      emailLinks: true,
      env: { LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on', LATCHKEY_LOCKOUT_ATTEMPTS: '3' },
    })
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_acme',
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    })
    expect(made.status).toBe(200)
    saml = await SamlIdp.start()
    const connection = await clerk().samlConnections.createSamlConnection({
      name: 'Acme Okta',
      provider: 'saml_custom',
      domain,
      idpEntityId: saml.entityId,
      idpSsoUrl: saml.ssoUrl,
      idpCertificate: saml.cert,
    })
    await clerk().samlConnections.updateSamlConnection(connection.id, { active: true })
    acsUrl = connection.acsUrl
    receiver = await WebhookReceiver.start()
    const ep = await bapi('POST', '/v1/webhooks/endpoints', { url: receiver.url })
    expect(ep.status).toBe(200)
    secret = ep.json.secret
  })
  afterAll(async () => {
    await server?.close()
    await idp?.close()
    await saml?.close()
    await receiver?.stop()
    await smtp?.close()
  })

  /** A user signed up through the Frontend API: their address unverified (no proof asked). */
  async function signedUp() {
    const email = `u-${dialect}-${++n}@example.com`
    const b = browser()
    const sid = await b.signUp(email, PASSWORD)
    const userId = await userOf(sid)
    expect(types(await delivered())).toEqual(['session.created', 'user.created'])
    expect((await apiUser(userId)).email_addresses[0].verification).toBeNull()
    return { b, sid, userId, email }
  }

  it('an email code at sign-in proves an unverified address: one user.updated; signing in again emits none', async () => {
    const { userId, email } = await signedUp()
    const signInByCode = async () => {
      const b = browser()
      const at = smtp.messages.length
      const r = await b.post('/v1/client/sign_ins', { identifier: email, strategy: 'email_code' })
      expect(r.status).toBe(200)
      const code = codeFrom(await smtp.waitForMail(email, { after: at }))
      const done = await b.post(`/v1/client/sign_ins/${r.json.response.id}/attempt_first_factor`, {
        strategy: 'email_code',
        code,
      })
      expect(done.json.response?.status, JSON.stringify(done.json)).toBe('complete')
    }
    await signInByCode()
    const data = await oneUpdate(userId, ['session.created'])
    expect(data.email_addresses[0].verification.status).toBe('verified')
    // The change moves `updated_at`, so receivers ordering by it keep this event.
    expect(data.updated_at).toBe(clock().now())
    expect(data.last_sign_in_at).toBe(clock().now())
    // The address is verified now: the next code sign-in, and a password one, change nothing
    // an app syncs (only `last_sign_in_at`, which Clerk does not report either).
    clock().advance(1000)
    await signInByCode()
    expect(types(await delivered())).toEqual(['session.created'])
    await browser().signIn(email, PASSWORD)
    expect(types(await delivered())).toEqual(['session.created'])
    expect((await apiUser(userId)).last_sign_in_at).toBe(clock().now())
  })

  it('an email link opened at sign-in proves the address: one user.updated with the session', async () => {
    const { userId, email } = await signedUp()
    const b = browser()
    const at = smtp.messages.length
    const r = await b.post('/v1/client/sign_ins', {
      identifier: email,
      strategy: 'email_link',
      redirect_url: `${server.url}/after`,
    })
    expect(r.status).toBe(200)
    const link = new URL(linkFrom(await smtp.waitForMail(email, { after: at })))
    const opened = await b.send('GET', link.pathname + link.search)
    expect(opened.status).toBe(303)
    const data = await oneUpdate(userId, ['session.created'])
    expect(data.email_addresses[0].verification.status).toBe('verified')
  })

  it('a password-reset code proves the address (one user.updated), the new password another', async () => {
    const { userId, email } = await signedUp()
    const b = browser()
    const at = smtp.messages.length
    const r = await b.post('/v1/client/sign_ins', {
      identifier: email,
      strategy: 'reset_password_email_code',
    })
    expect(r.status).toBe(200)
    const id = r.json.response.id
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const proved = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'reset_password_email_code',
      code,
    })
    expect(proved.json.response.status).toBe('needs_new_password')
    const data = await oneUpdate(userId)
    expect(data.email_addresses[0].verification.status).toBe('verified')
    clock().advance(1000)
    const reset = await b.post(`/v1/client/sign_ins/${id}/reset_password`, {
      password: 'a brand new passphrase',
    })
    expect(reset.json.response.status).toBe('complete')
    const after = await oneUpdate(userId, ['session.created'], { before: data.last_sign_in_at })
    expect(after.password_last_updated_at).toBe(clock().now())
  })

  /** The person at the provider as `sub`, then back to Latchkey in `b`. */
  async function throughProvider(b: BrowserClient, redirect: string, sub: string) {
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(redirect)
    const back = new URL(page.url)
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(303)
    return res.headers.get('location')
  }
  async function oauthSignIn(sub: string, b = browser()) {
    const r = await b.post('/v1/client/sign_ins', {
      strategy: ACME,
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(r.status).toBe(200)
    await throughProvider(
      b,
      r.json.response.first_factor_verification.external_verification_redirect_url,
      sub,
    )
    return b
  }
  function providerAccount(email: string) {
    const sub = `acct-${dialect}-${++n}`
    idp.accounts.set(sub, { email, email_verified: true, given_name: 'Ada' })
    return sub
  }

  it('an account linked at OAuth sign-in: one user.updated with it; signing in through it again emits none', async () => {
    const email = `linked-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    expect(types(await delivered())).toEqual(['user.created'])
    const sub = providerAccount(email)
    const b = await oauthSignIn(sub)
    expect((await b.get('/v1/client')).json.response.sessions[0].user.id).toBe(user.id)
    const data = await oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toMatchObject([{ provider: ACME, provider_user_id: sub }])
    // Linked: the provider's new tokens are the sign-in's, nothing the app syncs.
    clock().advance(1000)
    await oauthSignIn(sub)
    expect(types(await delivered())).toEqual(['session.created'])
  })

  it('an account linked at enterprise SSO (SAML) sign-in: one user.updated; again: none', async () => {
    const email = `saml-${++n}@${domain}`
    const user = await clerk().users.createUser({ emailAddress: [email] })
    expect(types(await delivered())).toEqual(['user.created'])
    const samlSignIn = async () => {
      const b = browser()
      const r = await b.post('/v1/client/sign_ins', {
        strategy: 'enterprise_sso',
        identifier: email,
        redirect_url: `${server.url}/sso-callback`,
        action_complete_redirect_url: `${server.url}/done`,
      })
      expect(r.status, JSON.stringify(r.json)).toBe(200)
      saml.signInAs = { email, firstName: 'Grace', lastName: 'Hopper' }
      const page = await fetch(
        r.json.response.first_factor_verification.external_verification_redirect_url,
      )
      const form = (await page.json()) as { SAMLResponse: string; RelayState: string }
      const acs = await fetch(acsUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      })
      expect(acs.status).toBe(303)
      const next = new URL(acs.headers.get('location') ?? '')
      const back = await b.send('GET', next.pathname + next.search)
      expect(back.headers.get('location')).toBe(`${server.url}/done`)
    }
    await samlSignIn()
    const data = await oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toHaveLength(1)
    clock().advance(1000)
    await samlSignIn()
    expect(types(await delivered())).toEqual(['session.created'])
  })

  it("an OAuth sign-up's user.created carries the account; a transfer sign-in that links emits user.updated", async () => {
    const email = `fresh-${dialect}-${++n}@example.com`
    const b = await oauthSignIn(providerAccount(email))
    const up = await b.post('/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response.status).toBe('complete')
    const userId = up.json.response.created_user_id as string
    const events = await delivered()
    expect(types(events)).toEqual(['session.created', 'user.created'])
    const created = events.find((e) => e.type === 'user.created')?.data
    expect(created).toEqual(await apiUser(userId))
    expect(created.external_accounts).toHaveLength(1)

    // A sign-up started at the provider whose account may be linked to an existing user: the
    // app transfers to a sign-in, which links it.
    const existing = `existing-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [existing], password: PASSWORD })
    await delivered()
    const s = browser()
    const started = await s.post('/v1/client/sign_ups', {
      strategy: ACME,
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(started.status).toBe(200)
    await throughProvider(
      s,
      started.json.response.verifications.external_account.external_verification_redirect_url,
      providerAccount(existing),
    )
    expect(await delivered()).toEqual([])
    const signIn = await s.post('/v1/client/sign_ins', { transfer: 'true' })
    expect(signIn.json.response?.status, JSON.stringify(signIn.json)).toBe('complete')
    const data = await oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toHaveLength(1)
  })

  it('connect from the profile and disconnect (Frontend and Backend API): one user.updated each; a refused connect none', async () => {
    const { b, userId } = await signedUp()
    const connect = async (sub: string) => {
      const r = await b.post('/v1/me/external_accounts', {
        strategy: ACME,
        redirect_url: `${server.url}/profile`,
      })
      expect(r.status).toBe(200)
      return throughProvider(
        b,
        r.json.response.verification.external_verification_redirect_url,
        sub,
      )
    }
    expect(await connect(providerAccount(`elsewhere-${++n}@example.net`))).toBe(
      `${server.url}/profile`,
    )
    const linked = await oneUpdate(userId)
    expect(linked.external_accounts).toHaveLength(1)
    const second = await connect(providerAccount(`elsewhere-${++n}@example.net`))
    expect(second).toBe(`${server.url}/profile`)
    const both = (await oneUpdate(userId)).external_accounts as Json[]
    expect(both).toHaveLength(2)

    const off = await b.post(`/v1/me/external_accounts/${both[0].id}?_method=DELETE`)
    expect(off.status).toBe(200)
    expect((await oneUpdate(userId)).external_accounts).toHaveLength(1)
    const del = await bapi('DELETE', `/v1/users/${userId}/external_accounts/${both[1].id}`)
    expect(del.status).toBe(200)
    expect((await oneUpdate(userId)).external_accounts).toEqual([])

    // Another user's provider account: refused, nothing linked, nothing emitted.
    const other = await signedUp()
    const taken = providerAccount(`taken-${++n}@example.net`)
    await connect(taken)
    await delivered()
    const r = await other.b.post('/v1/me/external_accounts', {
      strategy: ACME,
      redirect_url: `${server.url}/profile`,
    })
    const refused = await throughProvider(
      other.b,
      r.json.response.verification.external_verification_redirect_url,
      taken,
    )
    expect(refused).toContain('latchkey_error=external_account_exists')
    expect(await delivered()).toEqual([])
  })

  it('a password lockout: one user.updated (locked), none for the failures before; a known device lifts it', async () => {
    const email = `lock-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = browser()
    await owner.signIn(email, PASSWORD)
    expect(types(await delivered())).toEqual(['session.created', 'user.created'])
    const stranger = browser()
    const wrong = () =>
      stranger.post('/v1/client/sign_ins', { identifier: email, password: 'not the passphrase' })
    expect((await wrong()).json.errors[0].code).toBe('form_password_incorrect')
    expect((await wrong()).json.errors[0].code).toBe('form_password_incorrect')
    expect(await delivered()).toEqual([])
    const third = await wrong()
    expect(third.status).toBe(403)
    expect(third.json.errors[0].code).toBe('user_locked')
    const locked = await oneUpdate(user.id)
    expect(locked).toMatchObject({ locked: true, lockout_expires_in_seconds: LOCKOUT_SECONDS })
    // Refused while locked: nothing changes.
    expect((await wrong()).status).toBe(403)
    expect(await delivered()).toEqual([])
    // The owner's browser is exempt; its right password lifts the lockout.
    clock().advance(1000)
    await owner.signIn(email, PASSWORD)
    const lifted = await oneUpdate(user.id, ['session.created'], {
      before: locked.last_sign_in_at,
    })
    expect(lifted).toMatchObject({ locked: false, lockout_expires_in_seconds: null })
  })

  it('a second-factor lockout: one user.updated (locked) at the tenth wrong code; a known device lifts it', async () => {
    const email = `sf-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = browser()
    await owner.signIn(email, PASSWORD)
    await delivered()
    const made = await owner.post('/v1/me/totp')
    expect(made.status).toBe(200)
    expect(await delivered()).toEqual([])
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const enrolled = await owner.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: clock().now() }),
    })
    expect(enrolled.status).toBe(200)
    expect((await oneUpdate(user.id)).totp_enabled).toBe(true)
    clock().advance(31_000)

    const passwordKnown = async () => {
      const r = await browser().post('/v1/client/sign_ins', {
        identifier: email,
        password: PASSWORD,
      })
      expect(r.json.response.status).toBe('needs_second_factor')
      return r
    }
    const stranger = new BrowserClient(server.url, server.url)
    let id = ''
    const codes: string[] = []
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 0) {
        const r = await stranger.post('/v1/client/sign_ins', {
          identifier: email,
          password: PASSWORD,
        })
        id = r.json.response.id
      }
      const r = await stranger.post(`/v1/client/sign_ins/${id}/attempt_second_factor`, {
        strategy: 'totp',
        code: '000000',
      })
      codes.push(r.json.errors[0].code)
      if (i === 8) expect(await delivered()).toEqual([])
    }
    expect(codes.at(-1)).toBe('form_code_incorrect')
    const locked = await oneUpdate(user.id)
    expect(locked).toMatchObject({ locked: true, lockout_expires_in_seconds: LOCKOUT_SECONDS })
    await passwordKnown()
    expect(await delivered()).toEqual([])

    // The owner's browser is exempt: its right code signs in and lifts the lock.
    clock().advance(1000)
    const r = await owner.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.json.response.status).toBe('needs_second_factor')
    const ok = await owner.post(`/v1/client/sign_ins/${r.json.response.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: clock().now() }),
    })
    expect(ok.json.response?.status, JSON.stringify(ok.json)).toBe('complete')
    const lifted = await oneUpdate(user.id, ['session.created'], {
      before: locked.last_sign_in_at,
    })
    expect(lifted).toMatchObject({ locked: false, lockout_expires_in_seconds: null })
    expect(lifted.updated_at).toBeGreaterThan(locked.updated_at)

    // Removing TOTP from the profile (backup codes go with it).
    const removed = await owner.post('/v1/me/totp?_method=DELETE')
    expect(removed.status).toBe(200)
    expect(await oneUpdate(user.id)).toMatchObject({
      totp_enabled: false,
      two_factor_enabled: false,
    })
  })

  it('the profile: names, username, metadata, password, backup codes, passkeys, image; ban and unban', async () => {
    const { b, sid, userId } = await signedUp()
    const step = async (call: () => Promise<{ status: number }>) => {
      clock().advance(1000)
      const r = await call()
      expect(r.status).toBe(200)
      return oneUpdate(userId)
    }
    const me = (path: string, form: Record<string, string> = {}) =>
      b.post(`${path}${path.includes('?') ? '&' : '?'}_clerk_session_id=${sid}`, form)
    expect(
      await step(() => me('/v1/me?_method=PATCH', { first_name: 'Ada', username: `ada_${n}` })),
    ).toMatchObject({ first_name: 'Ada', username: `ada_${n}` })
    expect(
      await step(() =>
        me('/v1/me/metadata?_method=PATCH', { unsafe_metadata: '{"theme":"dark"}' }),
      ),
    ).toMatchObject({ unsafe_metadata: { theme: 'dark' } })
    const changed = await step(() =>
      me('/v1/me/change_password', {
        current_password: PASSWORD,
        new_password: 'another long passphrase',
      }),
    )
    expect(changed.password_last_updated_at).toBe(clock().now())

    // Backup codes stand beside TOTP.
    const made = await me('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    await step(() =>
      me('/v1/me/totp/attempt_verification', { code: totp.generate({ timestamp: clock().now() }) }),
    )
    expect((await step(() => me('/v1/me/backup_codes'))).backup_code_enabled).toBe(true)

    const pending = await me('/v1/me/passkeys')
    expect(pending.status).toBe(200)
    expect(await delivered()).toEqual([])
    const { id, verification } = pending.json.response
    const added = await step(() =>
      me(`/v1/me/passkeys/${id}/attempt_verification`, {
        public_key_credential: softAttestation(verification.nonce, server.url),
      }),
    )
    expect(added.passkeys).toHaveLength(1)
    expect(
      (await step(() => me(`/v1/me/passkeys/${id}?_method=PATCH`, { name: 'Laptop' }))).passkeys[0]
        .name,
    ).toBe('Laptop')
    expect((await step(() => me(`/v1/me/passkeys/${id}?_method=DELETE`))).passkeys).toEqual([])

    const upload = async () => {
      const f = new FormData()
      f.append('file', new Blob([PNG], { type: 'image/png' }), 'avatar.png')
      const res = await fetch(`${server.url}/v1/me/profile_image?_clerk_session_id=${sid}`, {
        method: 'POST',
        headers: {
          origin: server.url,
          cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body: f,
      })
      return { status: res.status }
    }
    expect((await step(upload)).has_image).toBe(true)
    expect((await step(() => me('/v1/me/profile_image?_method=DELETE'))).has_image).toBe(false)

    // A refused edit (a username another user has) rolls back with its event.
    const other = await clerk().users.createUser({
      emailAddress: [`other-${dialect}-${++n}@example.com`],
      username: `taken_${n}`,
      password: PASSWORD,
    })
    await delivered()
    const taken = await me('/v1/me?_method=PATCH', { username: `taken_${n}` })
    expect(taken.status).toBe(422)
    expect(await delivered()).toEqual([])

    // The operator's ban signs the user out (one session.revoked), unban emits user.updated.
    clock().advance(1000)
    await clerk().users.banUser(userId)
    expect((await oneUpdate(userId, ['session.revoked'])).banned).toBe(true)
    await clerk().users.unbanUser(userId)
    expect((await oneUpdate(userId)).banned).toBe(false)
    await clerk().users.deleteUser(other.id)
    expect(types(await delivered())).toEqual(['user.deleted'])
  })
})
