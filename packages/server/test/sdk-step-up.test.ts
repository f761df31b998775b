import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FapiClient, LatchkeyAPIResponseError } from '../../js/src/fapi.js'
import {
  type ClientJSON,
  ClientResource,
  type ResourceContext,
  type UserResource,
} from '../../js/src/resources.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'correct horse battery staple'

/** Node's fetch with what a browser adds: the page's Origin and a cookie jar for `__client`. */
function browserFetch(origin: string): typeof fetch {
  const jar = new Map<string, string>()
  return async (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('origin', origin)
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await fetch(input, { ...init, headers })
    for (const c of res.headers.getSetCookie()) {
      const [k, ...v] = (c.split(';')[0] ?? '').split('=')
      if (k) jar.set(k, v.join('='))
    }
    return res
  }
}

/** The SDK's resources over the real Frontend API, as `Latchkey` wires them. */
function sdk(server: TestServer) {
  let client: ClientJSON | null = null
  let changes = 0
  const ctx: ResourceContext = {
    fapi: new FapiClient({
      baseUrl: server.url,
      fetch: browserFetch(server.url),
      onClient: (json) => {
        client = json
      },
      onUnauthorized: () => {},
    }),
    getToken: async () => null,
    changed: () => {
      changes++
    },
  }
  return {
    client: () => new ClientResource(client, ctx),
    session: () => {
      const session = new ClientResource(client, ctx).signedInSessions[0]
      if (!session) throw new Error('no session')
      return session
    },
    user: (): UserResource => {
      const user = new ClientResource(client, ctx).sessions[0]?.user
      if (!user) throw new Error('not signed in')
      return user
    },
    changes: () => changes,
  }
}

// Issue #17 item 7, the SDK's side: Clerk's `Session.startVerification` and its factor steps,
// and a session pending on `setup-mfa`, driven against the real server.
describe.each(DIALECTS)('the SDK’s step-up and session tasks (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const advance = (ms: number) => (server.clock as { advance(ms: number): void }).advance(ms)
  const codeOf = (totp: OTPAuth.TOTP) => totp.generate({ timestamp: server.clock.now() })
  async function settings(body: object) {
    const r = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(r.status).toBe(200)
  }

  async function signedIn() {
    const email = `sdk-stepup-${dialect}-${++n}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const { id } = await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const s = sdk(server)
    const signIn = await s.client().signIn.create({ identifier: email, password: PASSWORD })
    expect(signIn.status).toBe('complete')
    return { id, email, s, clerk }
  }

  it('a stale session: 403 with the level to prove, then the password again, then the change', async () => {
    await settings({
      reverification: { enabled: true, max_age_minutes: 10, level: 'second_factor' },
      mfa_required: false,
    })
    const { id, s, clerk } = await signedIn()
    advance(11 * 60_000)
    const refused = await s
      .user()
      .updatePassword({ newPassword: 'another long passphrase' })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LatchkeyAPIResponseError)
    const err = refused as LatchkeyAPIResponseError
    expect([err.status, err.code]).toEqual([403, 'session_reverification_required'])
    expect(err.errors[0]?.meta.sessionVerification).toEqual({
      level: 'second_factor',
      afterMinutes: 10,
    })

    // No second factor: asked for second_factor, the server starts at the first.
    const v = await s.session().startVerification({ level: 'second_factor' })
    expect(v.id).toMatch(/^sver_/)
    expect([v.level, v.status]).toEqual(['first_factor', 'needs_first_factor'])
    expect(v.supportedFirstFactors.map((f) => f.strategy)).toContain('password')
    expect(v.supportedSecondFactors).toEqual([])
    const wrong = await s
      .session()
      .attemptFirstFactorVerification({ strategy: 'password', password: 'not it at all' })
      .catch((e: unknown) => e)
    expect((wrong as LatchkeyAPIResponseError).code).toBe('form_password_incorrect')
    const prepared = await s.session().prepareFirstFactorVerification({ strategy: 'password' })
    expect(prepared.status).toBe('needs_first_factor')
    const done = await s
      .session()
      .attemptFirstFactorVerification({ strategy: 'password', password: PASSWORD })
    expect(done.status).toBe('complete')
    expect(done.firstFactorVerification.status).toBe('verified')
    await s.user().updatePassword({ newPassword: 'another long passphrase' })
    const check = await clerk.users.verifyPassword({
      userId: id,
      password: 'another long passphrase',
    })
    expect(check.verified).toBe(true)
  })

  it('with TOTP: needs_second_factor, a wrong code refused, the right one completes', async () => {
    const { s } = await signedIn()
    const made = await s.user().createTOTP()
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.secret ?? '') })
    await s.user().verifyTOTP({ code: codeOf(totp) })
    advance(31_000)
    const refused = await s
      .user()
      .createBackupCode()
      .catch((e: unknown) => e)
    expect((refused as LatchkeyAPIResponseError).code).toBe('session_reverification_required')

    const v = await s.session().startVerification({ level: 'second_factor' })
    expect([v.level, v.status]).toEqual(['second_factor', 'needs_second_factor'])
    expect(v.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp', 'backup_code'])
    expect((await s.session().prepareSecondFactorVerification({ strategy: 'totp' })).status).toBe(
      'needs_second_factor',
    )
    const now = codeOf(totp)
    const wrong = await s
      .session()
      .attemptSecondFactorVerification({
        strategy: 'totp',
        code: now === '000000' ? '111111' : '000000',
      })
      .catch((e: unknown) => e)
    expect((wrong as LatchkeyAPIResponseError).code).toBe('form_code_incorrect')
    const done = await s.session().attemptSecondFactorVerification({ strategy: 'totp', code: now })
    expect(done.status).toBe('complete')
    expect(done.secondFactorVerification.status).toBe('verified')
    expect((await s.user().createBackupCode()).codes).toHaveLength(10)
  })

  it('mfa_required: the session is pending on setup-mfa, not active, until TOTP is verified', async () => {
    await settings({ reverification: { enabled: false }, mfa_required: true })
    const { s } = await signedIn()
    const pending = s.session()
    expect(pending.status).toBe('pending')
    expect(pending.tasks).toEqual([{ key: 'setup-mfa' }])
    expect(pending.currentTask).toEqual({ key: 'setup-mfa' })
    expect(s.client().activeSessions).toEqual([])
    const made = await pending.user.createTOTP()
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.secret ?? '') })
    await pending.user.verifyTOTP({ code: codeOf(totp) })
    const active = s.session()
    expect([active.id, active.status, active.tasks, active.currentTask]).toEqual([
      pending.id,
      'active',
      null,
      null,
    ])
    expect(s.client().activeSessions.map((x) => x.id)).toEqual([pending.id])
    await settings({ mfa_required: false })
  })
})
