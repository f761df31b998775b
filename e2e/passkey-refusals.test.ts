import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from '../packages/server/test/helpers/browser-client.js'
import { specErrors } from '../packages/server/test/helpers/fapi-spec.js'
import {
  createTestServer,
  DIALECTS,
  freePort,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { authenticatorPage } from './helpers/virtual-authenticator.js'

/*
 * Issue #17 item 5, at the HTTP level: credentials made by Chromium's virtual authenticator in a
 * real ceremony, then replayed, altered, answered for the wrong user, origin or challenge. Each
 * refusal is Clerk's error code and changes nothing (no session, no counter moved).
 */

const PASSWORD = 'passkey refusals passphrase 7'

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)('passkey refusals (%s)', (dialect) => {
  let browser: Browser
  let server: TestServer
  let origin: string
  let auth: Awaited<ReturnType<typeof authenticatorPage>>
  let n = 0

  beforeAll(async () => {
    browser = await launchChromium()
    origin = `http://localhost:${await freePort()}`
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: origin, LATCHKEY_PASSKEY_RP_ID: 'localhost' },
    })
    auth = await authenticatorPage(browser, origin)
  }, 120_000)
  afterAll(async () => {
    await auth?.close()
    await server?.close()
    await browser?.close()
  })

  // The virtual authenticator keeps few resident keys: each test starts with none.
  beforeEach(() => auth.authenticator.clear())

  const clock = () => server.clock as { advance(ms: number): void }
  const bapi = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })

  /** A user with a passkey registered from `origin`, through `/v1/me/passkeys`. */
  async function userWithPasskey() {
    const email = `pk-${dialect}-${++n}@example.com`
    const user = await bapi().users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, origin)
    await b.signIn(email, PASSWORD)
    const made = await b.post('/v1/me/passkeys')
    expect(made.status).toBe(200)
    expect(made.json.response).toMatchObject({
      object: 'passkey',
      verification: { object: 'verification_passkey', status: 'unverified', strategy: 'passkey' },
    })
    const options = JSON.parse(made.json.response.verification.nonce)
    expect(options).toMatchObject({
      rp: { id: 'localhost' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    })
    const attestation = await auth.create(made.json.response.verification.nonce)
    const path = `/v1/me/passkeys/${made.json.response.id}/attempt_verification`
    expect(specErrors('Client.ClientWrappedPasskey', made.json)).toEqual([])
    const done = await b.post(path, { strategy: 'passkey', public_key_credential: attestation })
    expect(done.status).toBe(200)
    expect(specErrors('Client.ClientWrappedPasskey', done.json)).toEqual([])
    expect(done.json.response.verification.status).toBe('verified')
    const credentialId: string = JSON.parse(attestation).id
    return {
      email,
      userId: user.id,
      passkeyId: made.json.response.id as string,
      credentialId,
      b,
      attestation,
      path,
    }
  }

  /** A sign-in by identifier waiting for a passkey: its request options (nonce). */
  async function identifierSignIn(email: string) {
    const b = new BrowserClient(server.url, origin)
    const r = await b.post('/v1/client/sign_ins', { identifier: email, strategy: 'passkey' })
    expect(r.status).toBe(200)
    const v = r.json.response.first_factor_verification
    expect(v).toMatchObject({ object: 'verification_passkey', status: 'unverified' })
    expect(specErrors('Client.ClientWrappedSignIn', r.json)).toEqual([])
    return { b, id: r.json.response.id as string, nonce: v.nonce as string }
  }

  const attempt = (b: BrowserClient, id: string, credential: string) =>
    b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'passkey',
      public_key_credential: credential,
    })

  /** The Backend API's user resource, as JSON (`@clerk/backend`'s User does not keep passkeys). */
  const userJson = async (id: string): Promise<Json> =>
    (
      await fetch(`${server.url}/v1/users/${id}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
    ).json()

  const counterOf = async (credentialId: string) =>
    (await server.services.passkeys.findByCredential(credentialId))?.counter

  /** The refusal's code, and that nothing was written: no session, the counter where it was. */
  async function refused(
    r: Promise<{ status: number; json: Json }>,
    code: string,
    credentialId: string,
  ) {
    const sessions = (await server.snapshot()).sessions
    const counter = await counterOf(credentialId)
    const res = await r
    expect(res.json.errors?.[0]?.code, JSON.stringify(res.json)).toBe(code)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect((await server.snapshot()).sessions).toBe(sessions)
    expect(await counterOf(credentialId)).toBe(counter)
    return res.json.errors[0]
  }

  it('signs in with an identifier and without one; the user resource and the Backend API list and delete', async () => {
    const a = await userWithPasskey()
    expect((await userJson(a.userId)).passkeys).toMatchObject([
      { object: 'passkey', id: a.passkeyId, verification: { status: 'verified' } },
    ])
    // Identifier flow: the options list this user's credential only.
    const s = await identifierSignIn(a.email)
    expect(JSON.parse(s.nonce).allowCredentials).toEqual([
      expect.objectContaining({ id: a.credentialId, type: 'public-key' }),
    ])
    const ok = await attempt(s.b, s.id, await auth.get(s.nonce))
    expect(ok.status).toBe(200)
    expect(ok.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'passkey' },
    })
    expect(await counterOf(a.credentialId)).toBeGreaterThan(0)
    // Discoverable: no identifier, no credentials listed; the assertion names the user.
    const d = new BrowserClient(server.url, origin)
    const created = await d.post('/v1/client/sign_ins', { strategy: 'passkey' })
    expect(created.status).toBe(200)
    const nonce = created.json.response.first_factor_verification.nonce
    expect(JSON.parse(nonce).allowCredentials ?? []).toEqual([])
    expect(JSON.parse(nonce).userVerification).toBe('required')
    const done = await attempt(
      d,
      created.json.response.id,
      await auth.get(nonce, { allowCredentials: [a.credentialId] }),
    )
    expect(done.status).toBe(200)
    expect(specErrors('Client.ClientWrappedSignIn', done.json)).toEqual([])
    const me = await d.get('/v1/me')
    expect(specErrors('Client.ClientWrappedUser', me.json)).toEqual([])
    const session = done.json.client.sessions[0]
    expect(session.user.id).toBe(a.userId)
    expect(session.user.passkeys).toMatchObject([
      { id: a.passkeyId, last_used_at: expect.any(Number) },
    ])
    // Rename and the operator's delete (@clerk/backend's deleteUserPasskey).
    const renamed = await a.b.request('POST', `/v1/me/passkeys/${a.passkeyId}?_method=PATCH`, {
      name: 'Work laptop',
    })
    expect(renamed.json.response.name).toBe('Work laptop')
    const other = await userWithPasskey()
    await expect(
      bapi().users.deleteUserPasskey({
        userId: a.userId,
        passkeyIdentificationId: other.passkeyId,
      }),
    ).rejects.toMatchObject({ status: 404 })
    await bapi().users.deleteUserPasskey({ userId: a.userId, passkeyIdentificationId: a.passkeyId })
    expect((await userJson(a.userId)).passkeys).toEqual([])
    expect((await userJson(other.userId)).passkeys).toHaveLength(1)
    // Gone, it signs in nobody.
    const again = new BrowserClient(server.url, origin)
    const c2 = await again.post('/v1/client/sign_ins', { strategy: 'passkey' })
    const stale = await auth.get(c2.json.response.first_factor_verification.nonce, {
      allowCredentials: [a.credentialId],
    })
    await refused(attempt(again, c2.json.response.id, stale), 'verification_failed', a.credentialId)
  }, 120_000)

  it("one user's passkey never signs in another", async () => {
    const a = await userWithPasskey()
    const b = await userWithPasskey()
    const s = await identifierSignIn(b.email)
    // A's authenticator answers B's challenge (a real, valid signature by A's key).
    const forA = await auth.get(s.nonce, { allowCredentials: [a.credentialId] })
    const e = await refused(attempt(s.b, s.id, forA), 'verification_failed', a.credentialId)
    expect(e.long_message).toMatch(/not a passkey of this account/)
    const still = await s.b.get(`/v1/client/sign_ins/${s.id}`)
    expect(still.json.response.status).toBe('needs_first_factor')
    // Discoverable, with A's assertion relabelled with B's user handle: refused too.
    const d = new BrowserClient(server.url, origin)
    const c = await d.post('/v1/client/sign_ins', { strategy: 'passkey' })
    const real = JSON.parse(
      await auth.get(c.json.response.first_factor_verification.nonce, {
        allowCredentials: [a.credentialId],
      }),
    )
    real.response.userHandle = Buffer.from(b.userId).toString('base64url')
    await refused(
      attempt(d, c.json.response.id, JSON.stringify(real)),
      'verification_failed',
      a.credentialId,
    )
  }, 120_000)

  it('refuses a wrong origin, an altered signature and an assertion without user verification', async () => {
    const a = await userWithPasskey()
    const s = await identifierSignIn(a.email)
    // The same browser and authenticator on an origin the instance does not allow.
    await auth.goto(`http://localhost:${await freePort()}`)
    const elsewhere = await auth.get(s.nonce)
    await auth.goto(origin)
    const e = await refused(attempt(s.b, s.id, elsewhere), 'verification_failed', a.credentialId)
    expect(e.long_message).toMatch(/origin/i)
    // One byte of the signed data changed.
    const good = JSON.parse(await auth.get(s.nonce))
    const data = Buffer.from(good.response.authenticatorData, 'base64url')
    data.writeUInt8((data.at(-1) ?? 0) ^ 1, data.length - 1)
    const altered = {
      ...good,
      response: { ...good.response, authenticatorData: data.toString('base64url') },
    }
    await refused(
      attempt(s.b, s.id, JSON.stringify(altered)),
      'verification_failed',
      a.credentialId,
    )
    const s2 = await identifierSignIn(a.email)
    await auth.authenticator.setUserVerified(false)
    const unverified = await auth.get(s2.nonce, { userVerification: 'discouraged' })
    await auth.authenticator.setUserVerified(true)
    const u = await refused(attempt(s2.b, s2.id, unverified), 'verification_failed', a.credentialId)
    expect(u.long_message).toMatch(/verif/i)
    // Garbage is a 422 naming the field.
    const junk = await attempt(s2.b, s2.id, '{"not":"a credential"}')
    expect(junk.status).toBe(422)
    expect(junk.json.errors[0]).toMatchObject({
      code: 'form_param_format_invalid',
      meta: { param_name: 'public_key_credential' },
    })
  }, 120_000)

  it('refuses a replayed assertion, a used or expired challenge and a counter that went back', async () => {
    const a = await userWithPasskey()
    const s1 = await identifierSignIn(a.email)
    const first = await auth.get(s1.nonce)
    expect((await attempt(s1.b, s1.id, first)).status).toBe(200)
    // Used: the same assertion again on its sign-in, and on another sign-in's challenge.
    await refused(attempt(s1.b, s1.id, first), 'sign_in_not_ready', a.credentialId)
    const s2 = await identifierSignIn(a.email)
    const e = await refused(attempt(s2.b, s2.id, first), 'verification_failed', a.credentialId)
    expect(e.long_message).toMatch(/challenge/i)
    // Two sign-ins answered in one order, submitted in the other: the older counter is refused.
    const x = await identifierSignIn(a.email)
    const y = await identifierSignIn(a.email)
    const forY = await auth.get(y.nonce)
    const forX = await auth.get(x.nonce)
    expect((await attempt(x.b, x.id, forX)).status).toBe(200)
    const c = await refused(attempt(y.b, y.id, forY), 'verification_failed', a.credentialId)
    expect(c.long_message).toMatch(/counter/i)
    // Expired: the challenge lives 10 minutes.
    const late = await identifierSignIn(a.email)
    const answer = await auth.get(late.nonce)
    clock().advance(10 * 60_000 + 1)
    await refused(attempt(late.b, late.id, answer), 'verification_expired', a.credentialId)
    // Registration: a verified passkey's attestation cannot be sent again.
    const replay = await a.b.post(a.path, {
      strategy: 'passkey',
      public_key_credential: a.attestation,
    })
    expect(replay.json.errors[0].code).toBe('verification_already_verified')
  }, 120_000)

  it('a passkey satisfies the second factor (Clerk: satisfies_second_factor)', async () => {
    const a = await userWithPasskey()
    const made = await a.b.post('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const on = await a.b.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(on.status).toBe(200)
    const pw = new BrowserClient(server.url, origin)
    const r = await pw.post('/v1/client/sign_ins', {
      identifier: a.email,
      password: PASSWORD,
      strategy: 'password',
    })
    expect(r.json.response.status).toBe('needs_second_factor')
    const s = await identifierSignIn(a.email)
    const done = await attempt(s.b, s.id, await auth.get(s.nonce))
    expect(done.json.response.status).toBe('complete')
  }, 120_000)

  it('an operator can turn passkeys off', async () => {
    const a = await userWithPasskey()
    const patch = (passkey: boolean) =>
      fetch(`${server.url}/v1/instance/user_settings`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ first_factors: { passkey } }),
      })
    expect((await patch(false)).status).toBe(200)
    clock().advance(6_000)
    try {
      const before = await server.snapshot()
      const r = await new BrowserClient(server.url, origin).post('/v1/client/sign_ins', {
        strategy: 'passkey',
      })
      expect(r.status).toBe(422)
      expect(r.json.errors[0]).toMatchObject({
        code: 'form_param_value_invalid',
        meta: { param_name: 'strategy' },
      })
      expect((await a.b.post('/v1/me/passkeys')).json.errors[0].code).toBe('not_allowed_access')
      expect(await server.snapshot()).toEqual(before)
    } finally {
      expect((await patch(true)).status).toBe(200)
    }
  }, 120_000)
})
