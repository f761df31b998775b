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
    user: (): UserResource => {
      const user = new ClientResource(client, ctx).sessions[0]?.user
      if (!user) throw new Error('not signed in')
      return user
    },
    changes: () => changes,
  }
}

// Issue #17, the SDK's side: Clerk's `SignIn.attemptSecondFactor` and the user's TOTP and
// backup-code methods, driven against the real server.
describe.each(DIALECTS)('the SDK’s second factors (%s)', (dialect) => {
  let server: TestServer
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const advance = (ms: number) => (server.clock as { advance(ms: number): void }).advance(ms)
  const codeOf = (totp: OTPAuth.TOTP) => totp.generate({ timestamp: server.clock.now() })

  async function signedUp() {
    const email = `sdk-mfa-${dialect}-${++n}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const s = sdk(server)
    const signIn = await s.client().signIn.create({ identifier: email, password: PASSWORD })
    expect(signIn.status).toBe('complete')
    return { email, s }
  }

  it('createTOTP, verifyTOTP (backup codes once), then the user says two-factor is on', async () => {
    const { s } = await signedUp()
    expect([s.user().totpEnabled, s.user().backupCodeEnabled, s.user().twoFactorEnabled]).toEqual([
      false,
      false,
      false,
    ])
    const made = await s.user().createTOTP()
    expect(made).toMatchObject({ verified: false, backupCodes: undefined })
    expect(made.uri).toMatch(/^otpauth:\/\/totp\//)
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.secret ?? '') })

    const wrong = await s
      .user()
      .verifyTOTP({ code: codeOf(totp) === '000000' ? '111111' : '000000' })
      .catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(LatchkeyAPIResponseError)
    expect((wrong as LatchkeyAPIResponseError).code).toBe('form_code_incorrect')
    expect(s.user().totpEnabled).toBe(false)

    const before = s.changes()
    const done = await s.user().verifyTOTP({ code: codeOf(totp) })
    expect(done.verified).toBe(true)
    expect(done.secret).toBeUndefined()
    expect(done.backupCodes).toHaveLength(10)
    expect(s.changes()).toBe(before + 1)
    expect([s.user().totpEnabled, s.user().backupCodeEnabled, s.user().twoFactorEnabled]).toEqual([
      true,
      true,
      true,
    ])
  })

  it('sign-in: needs_second_factor, then attemptSecondFactor with TOTP or a backup code', async () => {
    const { email, s } = await signedUp()
    const made = await s.user().createTOTP()
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.secret ?? '') })
    const { backupCodes = [] } = await s.user().verifyTOTP({ code: codeOf(totp) })
    advance(31_000)

    const fresh = sdk(server)
    const first = await fresh.client().signIn.create({ identifier: email, password: PASSWORD })
    expect(first.status).toBe('needs_second_factor')
    expect(first.createdSessionId).toBeNull()
    expect(first.supportedSecondFactors.map((f) => f.strategy)).toEqual(['totp', 'backup_code'])
    expect((await first.prepareSecondFactor({ strategy: 'totp' })).status).toBe(
      'needs_second_factor',
    )
    const done = await first.attemptSecondFactor({ strategy: 'totp', code: codeOf(totp) })
    expect(done.status).toBe('complete')
    expect(done.createdSessionId).toMatch(/^sess_/)
    expect(done.secondFactorVerification).toMatchObject({ status: 'verified', strategy: 'totp' })

    const other = sdk(server)
    const again = await other.client().signIn.create({ identifier: email, password: PASSWORD })
    const code = backupCodes[0] ?? ''
    const byCode = await again.attemptSecondFactor({ strategy: 'backup_code', code })
    expect(byCode.status).toBe('complete')
    const third = await sdk(server)
      .client()
      .signIn.create({ identifier: email, password: PASSWORD })
    const reused = await third
      .attemptSecondFactor({ strategy: 'backup_code', code })
      .catch((e: unknown) => e)
    expect((reused as LatchkeyAPIResponseError).code).toBe('form_code_incorrect')
  })

  it('createBackupCode replaces the codes; disableTOTP turns every second factor off', async () => {
    const { email, s } = await signedUp()
    const refused = await s
      .user()
      .createBackupCode()
      .catch((e: unknown) => e)
    expect((refused as LatchkeyAPIResponseError).code).toBe('backup_codes_not_available_code')
    const made = await s.user().createTOTP()
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.secret ?? '') })
    const { backupCodes = [] } = await s.user().verifyTOTP({ code: codeOf(totp) })

    const next = await s.user().createBackupCode()
    expect(next.codes).toHaveLength(10)
    expect(next.codes.filter((c) => backupCodes.includes(c))).toEqual([])

    const removed = await s.user().disableTOTP()
    expect(removed).toMatchObject({ object: 'totp', deleted: true })
    expect(removed.id).toMatch(/^totp_/)
    expect([s.user().totpEnabled, s.user().backupCodeEnabled, s.user().twoFactorEnabled]).toEqual([
      false,
      false,
      false,
    ])
    const plain = await sdk(server)
      .client()
      .signIn.create({ identifier: email, password: PASSWORD })
    expect(plain.status).toBe('complete')
  })
})
