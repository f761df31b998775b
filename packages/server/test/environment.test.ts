import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { specErrors } from './helpers/fapi-spec.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #15: `GET /v1/environment` lacked 66 fields Clerk's Frontend API spec requires; each
// is a crash waiting in Clerk's SDKs. The live answer is checked against the spec's schema.
const APP = 'http://app.localhost:5173'

describe.each(DIALECTS)('GET /v1/environment (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
      verifyEmailAtSignUp: true,
    })
  })
  afterAll(() => server.close())

  it("conforms to the Frontend API spec's Client.Environment schema", async () => {
    const r = await fetchJson(`${server.url}/v1/environment`)
    expect(r.status).toBe(200)
    expect(specErrors('Client.Environment', r.json)).toEqual([])
  })

  it('the validator refuses what the spec refuses (a missing required field, a wrong type)', async () => {
    const { json } = await fetchJson(`${server.url}/v1/environment`)
    const { restrictions: _, ...withoutRestrictions } = json.user_settings
    expect(
      specErrors('Client.Environment', { ...json, user_settings: withoutRestrictions }).join(),
    ).toContain('restrictions')
    const wrongType = { ...json, auth_config: { ...json.auth_config, single_session_mode: 'no' } }
    expect(specErrors('Client.Environment', wrongType).join()).toContain('single_session_mode')
  })

  it('tells the truth: sign-in by email or username, codes on and links off by default as in Clerk, nothing Latchkey lacks', async () => {
    const { json } = await fetchJson(`${server.url}/v1/environment`)
    const a = json.user_settings.attributes
    // Issue #16: the defaults of a new instance, as in a new Clerk instance.
    expect(a.email_address).toMatchObject({
      enabled: true,
      required: true,
      used_for_first_factor: true,
      first_factors: ['email_code'],
      verifications: ['email_code'],
      verify_at_sign_up: true,
    })
    expect(a.password).toMatchObject({ enabled: true, required: true, first_factors: [] })
    expect(json.user_settings.sign_up.mode).toBe('public')
    expect(json.user_settings.restrictions).toEqual({
      allowlist: { enabled: false },
      blocklist: { enabled: false },
      allowlist_blocklist_disabled_on_sign_in: { enabled: true },
      block_email_subaddresses: { enabled: false },
      block_disposable_email_domains: { enabled: false },
    })
    expect(a.username).toMatchObject({ enabled: true, required: false })
    for (const off of ['phone_number', 'web3_wallet']) expect(a[off].enabled).toBe(false)
    // Issue #17: an authenticator app with backup codes, as Clerk's dashboard writes them when
    // its "Multi-factor" page turns them on; an email code as a second step is off.
    expect(a.authenticator_app).toMatchObject({
      enabled: true,
      required: false,
      used_for_first_factor: false,
      used_for_second_factor: true,
      second_factors: ['totp'],
    })
    expect(a.backup_code).toMatchObject({
      enabled: true,
      used_for_second_factor: true,
      second_factors: ['backup_code'],
    })
    expect(a.email_address).toMatchObject({ used_for_second_factor: false, second_factors: [] })
    // Passkeys are on by default (issue #17 item 5): a first factor of their own.
    expect(a.passkey).toMatchObject({
      enabled: true,
      used_for_first_factor: true,
      first_factors: ['passkey'],
    })
    expect(json.user_settings.passkey_settings).toEqual({
      allow_autofill: false,
      show_sign_in_button: true,
      satisfies_second_factor: true,
    })
    expect(json.user_settings.social).toEqual({})
    expect(json.user_settings.sign_up.captcha_enabled).toBe(false)
    expect(json.display_config.captcha_public_key).toBeNull()
    expect(json.organization_settings.enabled).toBe(false)
    expect(json.auth_config).toMatchObject({
      first_factors: ['password', 'email_code', 'reset_password_email_code', 'passkey'],
      second_factors: ['totp', 'backup_code'],
      email_address_verification_strategies: ['email_code'],
    })
    expect(json.user_settings.actions.delete_self).toBe(true)
  })

  it('follows the delete-self setting', async () => {
    const patch = (value: boolean) =>
      fetch(`${server.url}/v1/instance`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ delete_self_enabled: value }),
      })
    expect((await patch(false)).status).toBe(204)
    const off = await fetchJson(`${server.url}/v1/environment`)
    expect(off.json.user_settings.actions.delete_self).toBe(false)
    expect(specErrors('Client.Environment', off.json)).toEqual([])
    expect((await patch(true)).status).toBe(204)
  })

  it('follows the user settings and restrictions (issue #16), still conforming to the spec', async () => {
    const bapi = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      })
    expect(
      (
        await bapi('/v1/instance/user_settings', {
          sign_up: { mode: 'restricted', verify_email_at_sign_up: false },
          first_factors: { password: false, email_link: false, passkey: false },
        })
      ).status,
    ).toBe(200)
    expect(
      (await bapi('/v1/instance/restrictions', { blocklist: true, block_email_subaddresses: true }))
        .status,
    ).toBe(200)
    const { json } = await fetchJson(`${server.url}/v1/environment`)
    expect(specErrors('Client.Environment', json)).toEqual([])
    const a = json.user_settings.attributes
    expect(a.email_address).toMatchObject({
      first_factors: ['email_code'],
      // Clerk's UI sends a link whenever this lists one: only what the server accepts.
      verifications: ['email_code'],
      verify_at_sign_up: false,
    })
    expect(a.password).toMatchObject({ enabled: false, required: false })
    expect(a.passkey.enabled).toBe(false)
    expect(json.user_settings.passkey_settings.show_sign_in_button).toBe(false)
    // No password, so no reset of one either.
    expect(json.auth_config.first_factors).toEqual(['email_code'])
    expect(json.auth_config.password).toBe('off')
    expect(json.display_config.preferred_sign_in_strategy).toBe('otp')
    expect(json.user_settings.sign_up.mode).toBe('restricted')
    expect(json.user_settings.restrictions).toMatchObject({
      allowlist: { enabled: false },
      blocklist: { enabled: true },
      block_email_subaddresses: { enabled: true },
    })
    await bapi('/v1/instance/user_settings', {
      sign_up: { mode: 'public', verify_email_at_sign_up: true },
      first_factors: { password: true, email_link: true },
    })
    await bapi('/v1/instance/restrictions', { blocklist: false, block_email_subaddresses: false })
    const back = await fetchJson(`${server.url}/v1/environment`)
    expect(back.json.auth_config.first_factors).toEqual([
      'password',
      'email_code',
      'email_link',
      'reset_password_email_code',
    ])
  })

  it('follows the second-factor settings (issue #17), still conforming to the spec', async () => {
    const patch = (second_factors: unknown) =>
      fetch(`${server.url}/v1/instance/user_settings`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ second_factors }),
      })
    expect((await patch({ email_code: true })).status).toBe(200)
    const on = (await fetchJson(`${server.url}/v1/environment`)).json
    expect(specErrors('Client.Environment', on)).toEqual([])
    expect(on.auth_config.second_factors).toEqual(['totp', 'backup_code', 'email_code'])
    expect(on.user_settings.attributes.email_address).toMatchObject({
      used_for_first_factor: true,
      used_for_second_factor: true,
      second_factors: ['email_code'],
    })
    expect((await patch({ totp: false, backup_code: false, email_code: false })).status).toBe(200)
    const off = (await fetchJson(`${server.url}/v1/environment`)).json
    expect(specErrors('Client.Environment', off)).toEqual([])
    expect(off.auth_config.second_factors).toEqual([])
    // Nothing is used for a second factor: Clerk's UserProfile hides "Two-step verification".
    for (const [name, attr] of Object.entries(off.user_settings.attributes))
      expect([name, (attr as { used_for_second_factor: boolean }).used_for_second_factor]).toEqual([
        name,
        false,
      ])
    expect(off.user_settings.attributes.authenticator_app.enabled).toBe(false)
    expect((await patch({ totp: true, backup_code: true })).status).toBe(200)
  })

  it("answers clerk-js's PATCH /v1/environment (pk_test_ keys) with the environment, from an allowed origin only", async () => {
    const browser = new BrowserClient(server.url, APP)
    const r = await browser.post('/v1/environment?_method=PATCH')
    expect(r.status).toBe(200)
    expect(specErrors('Client.Environment', r.json)).toEqual([])
    expect(r.headers.get('cache-control')).toBe('no-store')
    const stranger = new BrowserClient(server.url, 'https://evil.example')
    const refused = await stranger.post('/v1/environment?_method=PATCH')
    expect(refused.status).toBe(403)
    expect(refused.json.errors[0].code).toBe('origin_invalid')
  })
})

describe.each(DIALECTS)("client and user answers against Clerk's spec (%s)", (dialect) => {
  let server: TestServer
  let browser: BrowserClient

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    await browser.signUp('ada@example.com', 'a long enough passphrase', { first_name: 'Ada' })
  })
  afterAll(() => server.close())

  it('GET /v1/client conforms to Client.ClientWrappedClient', async () => {
    const r = await browser.get('/v1/client')
    expect(r.json.response.sessions[0].last_active_token.object).toBe('token')
    expect(specErrors('Client.ClientWrappedClient', r.json)).toEqual([])
  })

  it('a client with a sign-in in progress conforms too', async () => {
    const other = new BrowserClient(server.url, APP)
    const r = await other.post('/v1/client/sign_ins', { identifier: 'ada@example.com' })
    expect(r.json.response.status).toBe('needs_first_factor')
    expect(
      specErrors('Client.ClientWrappedClient', await other.get('/v1/client').then((x) => x.json)),
    ).toEqual([])
  })

  it('GET /v1/me conforms to Client.ClientWrappedUser', async () => {
    const r = await browser.get('/v1/me')
    expect(specErrors('Client.ClientWrappedUser', r.json)).toEqual([])
  })
})
