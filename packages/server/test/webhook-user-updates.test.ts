import * as OTPAuth from 'otpauth'
import { describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { codeFrom, linkFrom } from './helpers/smtp.js'
import { softAttestation } from './helpers/soft-attestation.js'
import { DIALECTS } from './helpers/test-server.js'
import { PASSWORD, userUpdatesSuite } from './helpers/user-updates.js'

const LOCKOUT_SECONDS = 3600
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
)

/*
 * Issue #19: every change to what `GET /v1/users/{id}` renders reaches the app as exactly one
 * `user.updated`, in the change's own write, through the route the user takes: here an address
 * proved at sign-in, an automatic lockout and its end, and the profile's own edits (accounts
 * linked at sign-in or from the profile: webhook-user-links.test.ts). A real receiver on loopback
 * verifies each delivery with `svix`'s `Webhook.verify` (and `standardwebhooks`); `data` must
 * equal the Backend API's user right after. Signing in alone (`last_sign_in_at`) emits none, as
 * in Clerk (docs/WEBHOOKS.md).
 */
describe.each(DIALECTS)('user.updated for the changes a user makes (%s)', (dialect) => {
  const h = userUpdatesSuite(dialect)

  it('an email code at sign-in proves an unverified address: one user.updated; signing in again emits none', async () => {
    const { userId, email } = await h.signedUp()
    const signInByCode = async () => {
      const b = h.browser()
      const at = h.smtp.messages.length
      const r = await b.post('/v1/client/sign_ins', { identifier: email, strategy: 'email_code' })
      expect(r.status).toBe(200)
      const code = codeFrom(await h.smtp.waitForMail(email, { after: at }))
      const done = await b.post(`/v1/client/sign_ins/${r.json.response.id}/attempt_first_factor`, {
        strategy: 'email_code',
        code,
      })
      expect(done.json.response?.status, JSON.stringify(done.json)).toBe('complete')
    }
    await signInByCode()
    const data = await h.oneUpdate(userId, ['session.created'])
    expect(data.email_addresses[0].verification.status).toBe('verified')
    // The change moves `updated_at`, so receivers ordering by it keep this event.
    expect(data.updated_at).toBe(h.clock().now())
    expect(data.last_sign_in_at).toBe(h.clock().now())
    // The address is verified now: the next code sign-in, and a password one, change nothing
    // an app syncs (only `last_sign_in_at`, which Clerk does not report either).
    h.clock().advance(1000)
    await signInByCode()
    expect(h.types(await h.delivered())).toEqual(['session.created'])
    await h.browser().signIn(email, PASSWORD)
    expect(h.types(await h.delivered())).toEqual(['session.created'])
    expect((await h.apiUser(userId)).last_sign_in_at).toBe(h.clock().now())
  })

  it('an email link opened at sign-in proves the address: one user.updated with the session', async () => {
    const { userId, email } = await h.signedUp()
    const b = h.browser()
    const at = h.smtp.messages.length
    const r = await b.post('/v1/client/sign_ins', {
      identifier: email,
      strategy: 'email_link',
      redirect_url: `${h.server.url}/after`,
    })
    expect(r.status).toBe(200)
    const link = new URL(linkFrom(await h.smtp.waitForMail(email, { after: at })))
    const opened = await b.send('GET', link.pathname + link.search)
    expect(opened.status).toBe(303)
    const data = await h.oneUpdate(userId, ['session.created'])
    expect(data.email_addresses[0].verification.status).toBe('verified')
  })

  it('a password-reset code proves the address (one user.updated), the new password another', async () => {
    const { userId, email } = await h.signedUp()
    const b = h.browser()
    const at = h.smtp.messages.length
    const r = await b.post('/v1/client/sign_ins', {
      identifier: email,
      strategy: 'reset_password_email_code',
    })
    expect(r.status).toBe(200)
    const id = r.json.response.id
    const code = codeFrom(await h.smtp.waitForMail(email, { after: at }))
    const proved = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'reset_password_email_code',
      code,
    })
    expect(proved.json.response.status).toBe('needs_new_password')
    const data = await h.oneUpdate(userId)
    expect(data.email_addresses[0].verification.status).toBe('verified')
    h.clock().advance(1000)
    const reset = await b.post(`/v1/client/sign_ins/${id}/reset_password`, {
      password: 'a brand new passphrase',
    })
    expect(reset.json.response.status).toBe('complete')
    const after = await h.oneUpdate(userId, ['session.created'], { before: data.last_sign_in_at })
    expect(after.password_last_updated_at).toBe(h.clock().now())
  })

  it('a password lockout: one user.updated (locked), none for the failures before; a known device lifts it', async () => {
    const email = `lock-${dialect}-${h.next()}@example.com`
    const user = await h.clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = h.browser()
    await owner.signIn(email, PASSWORD)
    expect(h.types(await h.delivered())).toEqual(['session.created', 'user.created'])
    const stranger = h.browser()
    const wrong = () =>
      stranger.post('/v1/client/sign_ins', { identifier: email, password: 'not the passphrase' })
    expect((await wrong()).json.errors[0].code).toBe('form_password_incorrect')
    expect((await wrong()).json.errors[0].code).toBe('form_password_incorrect')
    expect(await h.delivered()).toEqual([])
    const third = await wrong()
    expect(third.status).toBe(403)
    expect(third.json.errors[0].code).toBe('user_locked')
    const locked = await h.oneUpdate(user.id)
    expect(locked).toMatchObject({ locked: true, lockout_expires_in_seconds: LOCKOUT_SECONDS })
    // Refused while locked: nothing changes.
    expect((await wrong()).status).toBe(403)
    expect(await h.delivered()).toEqual([])
    // The owner's browser is exempt; its right password lifts the lockout.
    h.clock().advance(1000)
    await owner.signIn(email, PASSWORD)
    const lifted = await h.oneUpdate(user.id, ['session.created'], {
      before: locked.last_sign_in_at,
    })
    expect(lifted).toMatchObject({ locked: false, lockout_expires_in_seconds: null })
  })

  it('a second-factor lockout: one user.updated (locked) at the tenth wrong code; a known device lifts it', async () => {
    const email = `sf-${dialect}-${h.next()}@example.com`
    const user = await h.clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = h.browser()
    await owner.signIn(email, PASSWORD)
    await h.delivered()
    const made = await owner.post('/v1/me/totp')
    expect(made.status).toBe(200)
    expect(await h.delivered()).toEqual([])
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const enrolled = await owner.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: h.clock().now() }),
    })
    expect(enrolled.status).toBe(200)
    expect((await h.oneUpdate(user.id)).totp_enabled).toBe(true)
    h.clock().advance(31_000)

    const passwordKnown = async () => {
      const r = await h.browser().post('/v1/client/sign_ins', {
        identifier: email,
        password: PASSWORD,
      })
      expect(r.json.response.status).toBe('needs_second_factor')
      return r
    }
    const stranger = new BrowserClient(h.server.url, h.server.url)
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
      if (i === 8) expect(await h.delivered()).toEqual([])
    }
    expect(codes.at(-1)).toBe('form_code_incorrect')
    const locked = await h.oneUpdate(user.id)
    expect(locked).toMatchObject({ locked: true, lockout_expires_in_seconds: LOCKOUT_SECONDS })
    await passwordKnown()
    expect(await h.delivered()).toEqual([])

    // The owner's browser is exempt: its right code signs in and lifts the lock.
    h.clock().advance(1000)
    const r = await owner.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.json.response.status).toBe('needs_second_factor')
    const ok = await owner.post(`/v1/client/sign_ins/${r.json.response.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: h.clock().now() }),
    })
    expect(ok.json.response?.status, JSON.stringify(ok.json)).toBe('complete')
    const lifted = await h.oneUpdate(user.id, ['session.created'], {
      before: locked.last_sign_in_at,
    })
    expect(lifted).toMatchObject({ locked: false, lockout_expires_in_seconds: null })
    expect(lifted.updated_at).toBeGreaterThan(locked.updated_at)

    // Removing TOTP from the profile (backup codes go with it).
    const removed = await owner.post('/v1/me/totp?_method=DELETE')
    expect(removed.status).toBe(200)
    expect(await h.oneUpdate(user.id)).toMatchObject({
      totp_enabled: false,
      two_factor_enabled: false,
    })
  })

  it('the profile: names, username, metadata, password, backup codes, passkeys, image; ban and unban', async () => {
    const { b, sid, userId } = await h.signedUp()
    const k = h.next()
    const step = async (call: () => Promise<{ status: number }>) => {
      h.clock().advance(1000)
      const r = await call()
      expect(r.status).toBe(200)
      return h.oneUpdate(userId)
    }
    const me = (path: string, form: Record<string, string> = {}) =>
      b.post(`${path}${path.includes('?') ? '&' : '?'}_clerk_session_id=${sid}`, form)
    expect(
      await step(() => me('/v1/me?_method=PATCH', { first_name: 'Ada', username: `ada_${k}` })),
    ).toMatchObject({ first_name: 'Ada', username: `ada_${k}` })
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
    expect(changed.password_last_updated_at).toBe(h.clock().now())

    // Backup codes stand beside TOTP.
    const made = await me('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    await step(() =>
      me('/v1/me/totp/attempt_verification', {
        code: totp.generate({ timestamp: h.clock().now() }),
      }),
    )
    expect((await step(() => me('/v1/me/backup_codes'))).backup_code_enabled).toBe(true)

    const pending = await me('/v1/me/passkeys')
    expect(pending.status).toBe(200)
    expect(await h.delivered()).toEqual([])
    const { id, verification } = pending.json.response
    const added = await step(() =>
      me(`/v1/me/passkeys/${id}/attempt_verification`, {
        public_key_credential: softAttestation(verification.nonce, h.server.url),
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
      const res = await fetch(`${h.server.url}/v1/me/profile_image?_clerk_session_id=${sid}`, {
        method: 'POST',
        headers: {
          origin: h.server.url,
          cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
        body: f,
      })
      return { status: res.status }
    }
    expect((await step(upload)).has_image).toBe(true)
    expect((await step(() => me('/v1/me/profile_image?_method=DELETE'))).has_image).toBe(false)

    // A refused edit (a username another user has) rolls back with its event.
    const other = await h.clerk().users.createUser({
      emailAddress: [`other-${dialect}-${k}@example.com`],
      username: `taken_${k}`,
      password: PASSWORD,
    })
    await h.delivered()
    const taken = await me('/v1/me?_method=PATCH', { username: `taken_${k}` })
    expect(taken.status).toBe(422)
    expect(await h.delivered()).toEqual([])

    // The operator's ban signs the user out (one session.revoked), unban emits user.updated.
    h.clock().advance(1000)
    await h.clerk().users.banUser(userId)
    expect((await h.oneUpdate(userId, ['session.revoked'])).banned).toBe(true)
    await h.clerk().users.unbanUser(userId)
    expect((await h.oneUpdate(userId)).banned).toBe(false)
    await h.clerk().users.deleteUser(other.id)
    expect(h.types(await h.delivered())).toEqual(['user.deleted'])
  })
})
