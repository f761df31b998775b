import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const DEFAULTS = {
  object: 'instance_user_settings',
  sign_up: { mode: 'public', verify_email_at_sign_up: true },
  first_factors: {
    password: true,
    email_code: true,
    email_link: false,
    reset_password_email_code: true,
    passkey: true,
  },
  // Issue #17: the second factors users may enrol (packages/server/test/mfa-settings.test.ts).
  second_factors: { totp: true, backup_code: true, email_code: false },
  reverification: { enabled: false, max_age_minutes: 10, level: 'second_factor' },
  mfa_required: false,
}

// Issue #16: Latchkey's addition for what Clerk keeps in its dashboard (sign-up mode, email
// verification at sign-up, first factors). `@clerk/backend` has no method for it: raw HTTP.
describe.each(DIALECTS)('GET/PATCH /v1/instance/user_settings (%s)', (dialect) => {
  let server: TestServer
  const call = (method: string, body?: unknown, key = server.secretKey) =>
    fetchJson(`${server.url}/v1/instance/user_settings`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  beforeAll(async () => {
    server = await createTestServer(dialect, { verifyEmailAtSignUp: true })
  })
  afterAll(() => server.close())

  it('answers the defaults of a new instance', async () => {
    const r = await call('GET')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(r.json).toEqual(DEFAULTS)
  })

  it('changes what it is given, keeps the rest, and the change persists', async () => {
    const r = await call('PATCH', {
      sign_up: { mode: 'restricted' },
      first_factors: { email_link: true },
    })
    expect(r.status).toBe(200)
    const want = {
      ...DEFAULTS,
      sign_up: { mode: 'restricted', verify_email_at_sign_up: true },
      first_factors: { ...DEFAULTS.first_factors, email_link: true },
    }
    expect(r.json).toEqual(want)
    expect((await call('GET')).json).toEqual(want)
    expect((await server.services.instance.settings()).sign_up.mode).toBe('restricted')
    const back = await call('PATCH', {
      sign_up: { mode: 'public' },
      first_factors: { email_link: false },
    })
    expect(back.json).toEqual(DEFAULTS)
  })

  it('refuses bad input with Clerk-style errors and writes nothing', async () => {
    const cases: [unknown, string, string][] = [
      [{ sign_up: { mode: 'waitlist' } }, 'form_param_format_invalid', 'sign_up.mode'],
      [
        { sign_up: { verify_email_at_sign_up: 'yes' } },
        'form_param_format_invalid',
        'sign_up.verify_email_at_sign_up',
      ],
      [{ first_factors: { totp: true } }, 'form_param_unknown', 'totp'],
      [{ sign_up_mode: 'restricted' }, 'form_param_unknown', 'sign_up_mode'],
      [{ mfa_required: 'yes' }, 'form_param_format_invalid', 'mfa_required'],
      [
        { first_factors: { password: false, email_code: false, email_link: false } },
        'form_param_value_invalid',
        'first_factors',
      ],
      // Verification at sign-up on, and nothing left to verify with.
      [{ first_factors: { email_code: false } }, 'form_param_value_invalid', 'first_factors'],
    ]
    for (const [body, code, param] of cases) {
      const r = await call('PATCH', body)
      expect(r.status, JSON.stringify(body)).toBe(422)
      expect(r.json.errors[0]).toMatchObject({ code, meta: { param_name: param } })
      expect(typeof r.json.errors[0].long_message).toBe('string')
    }
    expect((await call('GET')).json).toEqual(DEFAULTS)
  })

  it('needs the secret key', async () => {
    expect((await call('GET', undefined, 'sk_live_wrong')).status).toBe(401)
    expect((await call('PATCH', { sign_up: { mode: 'restricted' } }, 'sk_live_wrong')).status).toBe(
      401,
    )
    expect((await call('GET')).json).toEqual(DEFAULTS)
  })
})
