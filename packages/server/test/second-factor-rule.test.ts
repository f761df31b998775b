import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowedSecondFactors } from '../src/verification/second-factor-rule.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'one rule horse battery staple'

// MFA hardening after issue #17: which second factors are offered was decided twice (the
// sign-in's `enabledSecondFactors` and the step-up's own list). One rule now decides both.
describe('the one second-factor rule', () => {
  const on = { email_code: true }
  const off = { email_code: false }

  it('enrolled factors always; an email code only after a first factor that is not the inbox, never at a step-up', () => {
    expect(allowedSecondFactors(off, { signInFirstFactor: 'password' })).toEqual([
      'totp',
      'backup_code',
    ])
    expect(allowedSecondFactors(on, { signInFirstFactor: 'password' })).toEqual([
      'totp',
      'backup_code',
      'email_code',
    ])
    for (const first of [
      'email_code',
      'email_link',
      'reset_password_email_code',
      // The provider may host the mailbox (Google, Microsoft, a company IdP).
      'oauth_google',
      'oauth_custom_acme',
      'enterprise_sso',
      'saml',
    ])
      expect(allowedSecondFactors(on, { signInFirstFactor: first })).toEqual([
        'totp',
        'backup_code',
      ])
    // A password leaves no verification row (null); every inbox factor does.
    expect(allowedSecondFactors(on, { signInFirstFactor: null })).toEqual([
      'totp',
      'backup_code',
      'email_code',
    ])
    expect(allowedSecondFactors(on, 'step_up')).toEqual(['totp', 'backup_code'])
  })
})

describe.each(DIALECTS)('sign-in and step-up offer what the rule allows (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
  })
  afterAll(() => server?.close())

  const settings = async (body: object) => {
    const r = await fetchJson(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(r.status).toBe(200)
  }

  it('with email codes on and TOTP, backup codes switched off: both still offer the enrolled ones', async () => {
    const email = `rule-${dialect}@example.com`
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
    const owner = new BrowserClient(server.url, server.url)
    const sid = await owner.signIn(email, PASSWORD)
    const made = await owner.post('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await owner.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(verified.status).toBe(200)
    await settings({ second_factors: { totp: false, backup_code: false, email_code: true } })

    const b = new BrowserClient(server.url, server.url)
    const signIn = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
    const offered = signIn.json.response.supported_second_factors.map(
      (f: { strategy: string }) => f.strategy,
    )
    expect(offered).toEqual(
      allowedSecondFactors({ email_code: true }, { signInFirstFactor: 'password' }),
    )

    const stepUp = await owner.post(`/v1/client/sessions/${sid}/verify`, { level: 'second_factor' })
    expect(stepUp.status).toBe(200)
    const stepUpOffered = stepUp.json.response.supported_second_factors.map(
      (f: { strategy: string }) => f.strategy,
    )
    expect(stepUpOffered).toEqual(allowedSecondFactors({ email_code: true }, 'step_up'))
    // And what is not offered is refused.
    const refused = await owner.post(`/v1/client/sessions/${sid}/verify/prepare_second_factor`, {
      strategy: 'email_code',
    })
    expect(refused.status).toBe(422)
    expect(refused.json.errors[0].meta.param_name).toBe('strategy')
  })
})
