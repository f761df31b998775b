import { createClerkClient } from '@clerk/backend'
import { authenticateToken } from '@latchkey/backend'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #17 item 6, "MFA required for everyone": a user without a second factor who signs in
// gets Clerk's pending session with the `setup-mfa` task, enrols TOTP, and the session turns
// active; the last factor cannot be removed by the user (the operator still may).
const APP = 'http://app.localhost:5173'
const PASSWORD = 'a long enough passphrase'

const codeAt = (secret: string, ms: number) =>
  new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  }).generate({ timestamp: ms })

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())

describe.each(DIALECTS)('MFA required (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  let clock: { now(): number; advance(ms: number): void }
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true, env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    clock = server.clock as typeof clock
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.jwtTemplates.create({ name: 'convex', claims: { aud: 'convex' } })
  })
  afterAll(() => server?.close())

  async function patchSettings(body: object): Promise<Json> {
    const r = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(r.status).toBe(200)
    return r.json()
  }
  async function setRequired(on: boolean) {
    expect((await patchSettings({ mfa_required: on })).mfa_required).toBe(on)
  }

  const newUser = async () => {
    const email = `req-${dialect}-${++n}@example.com`
    const user = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    return { email, user }
  }

  /** Signs in with the password; answers the sign-in and the session as the client shows it. */
  async function signIn(email: string) {
    const b = new BrowserClient(server.url, APP)
    const r = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    expect(r.status).toBe(200)
    const sid = r.json.response.created_session_id as string | null
    const session = r.json.client.sessions.find((s: Json) => s.id === sid)
    return { b, signIn: r.json.response, session, sid }
  }

  async function enrol(b: BrowserClient) {
    const made = await b.post('/v1/me/totp')
    expect(made.status).toBe(200)
    const secret: string = made.json.response.secret
    const verified = await b.post('/v1/me/totp/attempt_verification', {
      code: codeAt(secret, clock.now()),
    })
    expect(verified.status).toBe(200)
    return { secret, verified }
  }

  /**
   * What `@clerk/backend` makes of a request carrying this session token: the user its
   * `toAuth()` names by default (pending counts as signed out), and with
   * `treatPendingAsSignedOut: false`.
   */
  async function backendSees(jwt: string) {
    const state = await clerk.authenticateRequest(
      new Request(`${APP}/api`, { headers: { authorization: `Bearer ${jwt}` } }),
      {
        publishableKey: server.publishableKey,
        secretKey: server.secretKey,
        authorizedParties: [APP],
      },
    )
    if (!state.isSignedIn) return { userId: null, anyUserId: null }
    const auth = state.toAuth()
    const any = state.toAuth({ treatPendingAsSignedOut: false })
    return { userId: auth?.userId ?? null, anyUserId: any?.userId ?? null }
  }

  it('the flag: PATCH /v1/instance/user_settings, and the environment says so', async () => {
    const env = async (): Promise<Json> => (await fetch(`${server.url}/v1/environment`)).json()
    expect((await env()).user_settings.sign_in.second_factor).toEqual({ required: false })
    await setRequired(true)
    expect((await env()).user_settings.sign_in.second_factor).toEqual({ required: true })
    const bad = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mfa_required: 'yes' }),
    })
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as Json).errors[0].meta.param_name).toBe('mfa_required')
    expect((await env()).user_settings.sign_in.second_factor).toEqual({ required: true })
    // Required with nothing to enrol would lock every new user out: refused, nothing written.
    const none = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ second_factors: { totp: false, backup_code: false } }),
    })
    expect(none.status).toBe(422)
    expect(((await none.json()) as Json).errors[0].meta.param_name).toBe('mfa_required')
    expect((await patchSettings({})).second_factors.totp).toBe(true)
    await setRequired(false)
  })

  it("enrolling activates only the session that enrolled: another pending session (a password thief's) stays pending", async () => {
    await setRequired(true)
    const { email } = await newUser()
    const thief = await signIn(email)
    const owner = await signIn(email)
    expect(thief.session).toMatchObject({ status: 'pending' })
    await enrol(owner.b)
    const sessionOf = async (b: BrowserClient, sid: string | null) =>
      ((await b.get('/v1/client')).json.response.sessions as Json[]).find((x) => x.id === sid)
    expect(await sessionOf(owner.b, owner.sid)).toMatchObject({ status: 'active' })
    expect(await sessionOf(thief.b, thief.sid)).toMatchObject({
      status: 'pending',
      tasks: [{ key: 'setup-mfa' }],
    })
    const minted = await thief.b.post(`/v1/client/sessions/${thief.sid}/tokens`)
    expect(minted.status).toBe(200)
    expect(claimsOf(minted.json.jwt).sts).toBe('pending')
    // The thief cannot enrol a second authenticator over the owner's.
    expect((await thief.b.post('/v1/me/totp')).status).toBeGreaterThanOrEqual(400)
    await setRequired(false)
  })

  it('a user without MFA signs in: a pending session with setup-mfa; enrolling TOTP activates it', async () => {
    await setRequired(true)
    const { email, user } = await newUser()
    const { b, signIn: si, session, sid } = await signIn(email)
    expect(si.status).toBe('complete')
    expect(session).toMatchObject({ status: 'pending', tasks: [{ key: 'setup-mfa' }] })
    // Clerk's rule: a pending session's token says `sts: pending`, and @clerk/backend then
    // treats the request as signed out.
    const pendingJwt = await b.token(sid as string)
    expect(claimsOf(pendingJwt)).toMatchObject({ sts: 'pending', sub: user.id, sid })
    expect(claimsOf(session.last_active_token.jwt).sts).toBe('pending')
    expect(await backendSees(pendingJwt)).toEqual({ userId: null, anyUserId: user.id })
    // And Latchkey's own @latchkey/backend, the same way.
    const keys = { jwksUrl: `${server.url}/.well-known/jwks.json`, authorizedParties: [APP] }
    expect(await authenticateToken(pendingJwt, keys)).toMatchObject({
      isSignedIn: false,
      reason: 'session-pending',
    })
    expect(
      await authenticateToken(pendingJwt, { ...keys, treatPendingAsSignedOut: false }),
    ).toMatchObject({ isSignedIn: true, userId: user.id })
    // A template token carries no `sts`: refused until the task is done (not a 401).
    const tpl = await b.post(`/v1/client/sessions/${sid}/tokens/convex`)
    expect(tpl.status).toBe(403)
    expect(tpl.json.errors[0].code).toBe('not_allowed_access')
    // The Backend API shows the same.
    const bapi = await clerk.sessions.getSession(sid as string)
    expect(bapi.status).toBe('pending')
    expect((await clerk.sessions.getSessionList({ userId: user.id })).data).toHaveLength(1)

    const { verified } = await enrol(b)
    const now = verified.json.client.sessions.find((s: Json) => s.id === sid)
    expect(now).toMatchObject({ status: 'active', tasks: null })
    expect(now.user).toMatchObject({ two_factor_enabled: true, totp_enabled: true })
    // Clerk's UI then calls setActive: touching the session.
    const touched = await b.post(`/v1/client/sessions/${sid}/touch`)
    expect(touched.json.response).toMatchObject({ status: 'active', tasks: null })
    const jwt = await b.token(sid as string)
    expect(claimsOf(jwt).sts).toBe('active')
    expect(await backendSees(jwt)).toEqual({ userId: user.id, anyUserId: user.id })
    expect(await authenticateToken(jwt, keys)).toMatchObject({ isSignedIn: true, userId: user.id })
    expect((await b.post(`/v1/client/sessions/${sid}/tokens/convex`)).status).toBe(200)
    expect((await clerk.sessions.getSession(sid as string)).status).toBe('active')
  })

  it('a pending session can be signed out', async () => {
    await setRequired(true)
    const { email } = await newUser()
    const { b, sid } = await signIn(email)
    const ended = await b.post(`/v1/client/sessions/${sid}/end`)
    expect(ended.status).toBe(200)
    expect(ended.json.response.status).toBe('ended')
    expect(ended.json.client.sessions).toEqual([])
  })

  it("Latchkey's hosted sign-in says enrolment is needed, and a pending session is not signed in there", async () => {
    await setRequired(true)
    const { email } = await newUser()
    const b = new BrowserClient(server.url)
    const r = await b.hostedSignIn(email, PASSWORD)
    expect(r.status).toBe(403)
    expect(r.html).toContain('Two-step verification required')
    // The hosted pages (and OAuth's consent, through the same check) do not count it as signed in.
    const again = await b.send('GET', '/sign-in')
    expect(again.status).toBe(200)
    expect(await again.text()).toContain('name="password"')
    await setRequired(false)
    const ok = await new BrowserClient(server.url).hostedSignIn(email, PASSWORD)
    expect(ok.status).toBe(200)
    expect(ok.html).toContain(email)
    expect(ok.html).not.toContain('Two-step verification required')
  })

  it('a sign-up with the flag on is pending too', async () => {
    await setRequired(true)
    await patchSettings({ sign_up: { verify_email_at_sign_up: false } })
    const b = new BrowserClient(server.url, APP)
    const r = await b.post('/v1/client/sign_ups', {
      email_address: `req-up-${dialect}@example.com`,
      password: PASSWORD,
    })
    await patchSettings({ sign_up: { verify_email_at_sign_up: true } })
    expect(r.json.response.status).toBe('complete')
    const sid = r.json.response.created_session_id
    const s = r.json.client.sessions.find((x: Json) => x.id === sid)
    expect(s).toMatchObject({ status: 'pending', tasks: [{ key: 'setup-mfa' }] })
    expect(claimsOf(await b.token(sid)).sts).toBe('pending')
  })

  it('a user with MFA is unaffected: still asked for the second factor, then active', async () => {
    await setRequired(false)
    const { email } = await newUser()
    const first = await signIn(email)
    const { secret } = await enrol(first.b)
    // The enrolment code's step is spent: move past it.
    clock.advance(31_000)
    await setRequired(true)
    const { b, signIn: si } = await signIn(email)
    expect(si.status).toBe('needs_second_factor')
    const done = await b.post(`/v1/client/sign_ins/${si.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: codeAt(secret, clock.now()),
    })
    expect(done.status).toBe(200)
    const sid = done.json.response.created_session_id
    const s = done.json.client.sessions.find((x: Json) => x.id === sid)
    expect(s).toMatchObject({ status: 'active', tasks: null })
    expect(claimsOf(await b.token(sid)).sts).toBe('active')
  })

  it('removing the last factor is refused while required, nothing changed; allowed when off', async () => {
    await setRequired(true)
    const { email, user } = await newUser()
    const { b } = await signIn(email)
    await enrol(b)
    const before = await server.snapshot()
    const del = await b.post('/v1/me/totp?_method=DELETE')
    expect(del.status).toBe(422)
    expect(del.json.errors[0]).toMatchObject({ code: 'mfa_required' })
    expect(await server.snapshot()).toEqual(before)
    let u = await clerk.users.getUser(user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([true, true, true])
    // Regenerating backup codes keeps a factor: allowed.
    expect((await b.post('/v1/me/backup_codes')).status).toBe(200)

    await setRequired(false)
    expect((await b.post('/v1/me/totp?_method=DELETE')).status).toBe(200)
    u = await clerk.users.getUser(user.id)
    expect([u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]).toEqual([false, false, false])
  })

  it('the operator may still remove factors; the user then enrols at the next sign-in', async () => {
    await setRequired(true)
    const { email, user } = await newUser()
    const first = await signIn(email)
    await enrol(first.b)
    const flags = async () => {
      const u = await clerk.users.getUser(user.id)
      return [u.twoFactorEnabled, u.totpEnabled, u.backupCodeEnabled]
    }
    expect(await clerk.users.deleteUserBackupCodes(user.id)).toMatchObject({ user_id: user.id })
    expect(await flags()).toEqual([true, true, false])
    expect(await clerk.users.deleteUserTOTP(user.id)).toMatchObject({ user_id: user.id })
    expect(await flags()).toEqual([false, false, false])
    // The session signed in before stays active; the next sign-in asks to enrol.
    const old = await first.b.get('/v1/client')
    expect(old.json.response.sessions[0]).toMatchObject({ id: first.sid, status: 'active' })
    const next = await signIn(email)
    expect(next.session).toMatchObject({ status: 'pending', tasks: [{ key: 'setup-mfa' }] })
    await enrol(next.b)
    expect(await flags()).toEqual([true, true, true])
    expect(await clerk.users.disableUserMFA(user.id)).toMatchObject({ user_id: user.id })
    expect(await flags()).toEqual([false, false, false])
    expect((await signIn(email)).session.status).toBe('pending')
  })

  it('flag off: a user without MFA signs in active, exactly as before', async () => {
    await setRequired(false)
    const { email } = await newUser()
    const { b, session, sid } = await signIn(email)
    expect(session).toMatchObject({ status: 'active', tasks: null })
    expect(claimsOf(await b.token(sid as string)).sts).toBe('active')
    expect((await b.post(`/v1/client/sessions/${sid}/tokens/convex`)).status).toBe(200)
  })
})
