import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

const STRATEGY = 'oauth_custom_acme'

// Issue #18, first step: "Continue with <OpenID Connect provider>" through Clerk's redirect
// flow, against a real OIDC provider on loopback; the sign-up transfer; and the linking rules
// that stop an account takeover through a provider's unverified email ("nOAuth").
describe.each(DIALECTS)('sign-in with an OpenID Connect provider (%s)', (dialect) => {
  let server: TestServer
  let idp: UpstreamIdp
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect)
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_acme',
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    })
    expect(made.status).toBe(200)
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
  })

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
  const userCount = async () => (await bapi('GET', '/v1/users/count')).json.total_count as number

  /** A new account at the provider, with the claims the test wants it to assert. */
  function account(claims: { email?: string; email_verified?: boolean }) {
    const sub = `acct-${dialect}-${++n}`
    idp.accounts.set(sub, { given_name: 'Ada', family_name: 'Lovelace', ...claims })
    return sub
  }

  /** A browser starts the sign-in; returns it and the provider's authorize URL. */
  async function start(b = new BrowserClient(server.url, server.url)) {
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status).toBe(200)
    const v = r.json.response.first_factor_verification
    expect(v).toMatchObject({
      object: 'verification_oauth',
      status: 'unverified',
      strategy: STRATEGY,
    })
    return {
      b,
      signInId: r.json.response.id as string,
      authorize: new URL(v.external_verification_redirect_url),
    }
  }

  /** The person signs in at the provider as `sub`; returns the callback URL it sends them to. */
  async function atProvider(authorize: URL, sub: string): Promise<URL> {
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(authorize.href)
    const back = new URL(page.url)
    expect(back.origin + back.pathname).toBe(`${server.url}/v1/oauth_callback`)
    return back
  }

  /** The browser follows the provider's redirect back to Latchkey. */
  async function callback(b: BrowserClient, url: URL) {
    const res = await b.send('GET', url.pathname + url.search)
    const text = await res.text()
    return {
      status: res.status,
      location: res.headers.get('location'),
      json: text ? JSON.parse(text) : undefined,
    }
  }

  async function fullFlow(sub: string) {
    const s = await start()
    const back = await callback(s.b, await atProvider(s.authorize, sub))
    const client = (await s.b.request('GET', '/v1/client')).json.response
    return { ...s, back, client }
  }

  it('sends state, nonce and PKCE S256 to the provider, for the configured client', async () => {
    const { authorize } = await start()
    expect(authorize.origin).toBe(idp.issuer)
    const q = authorize.searchParams
    expect(q.get('client_id')).toBe(idp.clientId)
    expect(q.get('redirect_uri')).toBe(`${server.url}/v1/oauth_callback`)
    expect(q.get('response_type')).toBe('code')
    expect(q.get('scope')).toBe('openid email profile')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(q.get('state')).toMatch(/^[\w-]{40,}$/)
    expect(q.get('nonce')).toMatch(/^[\w-]{40,}$/)
  })

  it('first sign-up through the provider: transfer, a user with the verified email; again: the same user', async () => {
    const email = `new-${dialect}-${n}@example.com`
    const sub = account({ email, email_verified: true })
    const first = await fullFlow(sub)
    expect(first.back).toMatchObject({ status: 303, location: `${server.url}/sso-callback` })
    expect(first.client.sign_in).toMatchObject({
      status: 'needs_identifier',
      first_factor_verification: { status: 'transferable', strategy: STRATEGY },
    })
    expect(first.client.sessions).toEqual([])
    const up = await first.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status).toBe(200)
    expect(up.json.response).toMatchObject({ status: 'complete', email_address: email })
    const userId = up.json.response.created_user_id as string
    const user = await clerk().users.getUser(userId)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect(user.firstName).toBe('Ada')
    const got = await bapi('GET', `/v1/users/${userId}`)
    expect(got.json.external_accounts).toMatchObject([
      {
        object: 'external_account',
        provider: STRATEGY,
        provider_user_id: sub,
        email_address: email,
        email_address_verified: true,
        verification: { status: 'verified', strategy: STRATEGY },
      },
    ])
    // A second transfer of the same answer creates nothing.
    const again = await first.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(again.status).toBe(422)
    expect(again.json.errors[0].code).toBe('external_account_not_found')

    const second = await fullFlow(sub)
    expect(second.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    expect(second.client.sign_in).toBeNull()
    expect(second.client.sessions).toHaveLength(1)
    expect(second.client.sessions[0].user.id).toBe(userId)
    expect(second.client.sessions[0].user.external_accounts).toHaveLength(1)
    const signIn = (await second.b.request('GET', `/v1/client/sign_ins/${second.signInId}`)).json
    expect(signIn.response).toMatchObject({
      status: 'complete',
      created_session_id: second.client.sessions[0].id,
      first_factor_verification: { status: 'verified', strategy: STRATEGY },
      user_data: { first_name: 'Ada' },
    })
  })

  it('an unverified provider email: a new user whose address is unverified', async () => {
    const email = `unverified-${dialect}-${n}@example.com`
    const { b, back } = await fullFlow(account({ email, email_verified: false }))
    expect(back.status).toBe(303)
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response.status).toBe('complete')
    const user = await clerk().users.getUser(up.json.response.created_user_id)
    expect(user.emailAddresses[0]?.verification?.status).not.toBe('verified')
  })

  it('links to an existing user only when both sides verified the address', async () => {
    const email = `linked-${dialect}-${n}@example.com`
    const victim = await clerk().users.createUser({
      emailAddress: [email],
      password: 'correct horse battery staple',
    })
    const { back, client } = await fullFlow(account({ email, email_verified: true }))
    expect(back.location).toBe(`${server.url}/done`)
    expect(client.sessions[0].user.id).toBe(victim.id)
    expect((await bapi('GET', `/v1/users/${victim.id}`)).json.external_accounts).toHaveLength(1)
  })

  it('a linked user with TOTP proves it next: needs_second_factor, no session yet', async () => {
    const email = `mfa-${dialect}-${n}@example.com`
    const password = 'correct horse battery staple'
    const user = await clerk().users.createUser({ emailAddress: [email], password })
    const enrol = new BrowserClient(server.url, server.url)
    await enrol.signIn(email, password)
    const made = await enrol.post('/v1/me/totp')
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const verified = await enrol.post('/v1/me/totp/attempt_verification', {
      code: totp.generate(),
    })
    expect(verified.status).toBe(200)
    // On PostgreSQL the user cache hears of the enrolment through the change feed, a moment
    // later; a person takes longer than that to reach the provider and back.
    await expect
      .poll(async () => (await enrol.get('/v1/me')).json.response.totp_enabled, { timeout: 5000 })
      .toBe(true)
    const { b, back, client } = await fullFlow(account({ email, email_verified: true }))
    expect(back.location).toBe(`${server.url}/sso-callback`)
    expect(client.sessions).toEqual([])
    // (supported_second_factors is rendered from the user cache, which PostgreSQL's change feed
    // refreshes a moment after the enrolment just above; the status is read from the row.)
    expect(client.sign_in.status).toBe('needs_second_factor')
    const code = verified.json.response.backup_codes[0] as string
    const second = await b.request(
      'POST',
      `/v1/client/sign_ins/${client.sign_in.id}/attempt_second_factor`,
      {
        strategy: 'backup_code',
        code,
      },
    )
    expect(second.json.response?.status, JSON.stringify(second.json)).toBe('complete')
    expect(second.json.client.sessions[0].user.id).toBe(user.id)
  })

  it('nOAuth: a provider email the provider did not verify never reaches a verified user', async () => {
    const email = `victim-${dialect}-${n}@example.com`
    const victim = await clerk().users.createUser({
      emailAddress: [email],
      password: 'correct horse battery staple',
    })
    const before = await userCount()
    const { b, back, client } = await fullFlow(account({ email, email_verified: false }))
    expect(back.location).toBe(`${server.url}/sso-callback`)
    expect(client.sessions).toEqual([])
    expect(client.sign_in.first_factor_verification.status).toBe('transferable')
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status).toBe(422)
    expect(up.json.errors[0].code).toBe('form_identifier_exists')
    expect(await userCount()).toBe(before)
    expect((await bapi('GET', `/v1/users/${victim.id}`)).json.external_accounts).toEqual([])
  })

  it('nOAuth: a verified provider email does not take over an address the user never proved', async () => {
    const email = `unproved-${dialect}-${n}@example.com`
    const owner = new BrowserClient(server.url, server.url)
    const signedUp = await owner.request('POST', '/v1/client/sign_ups', {
      email_address: email,
      password: 'correct horse battery staple',
    })
    expect(signedUp.json.response.status).toBe('complete')
    const userId = signedUp.json.response.created_user_id as string
    const before = await userCount()
    const { b, client } = await fullFlow(account({ email, email_verified: true }))
    expect(client.sessions).toEqual([])
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.errors[0].code).toBe('form_identifier_exists')
    expect(await userCount()).toBe(before)
    expect((await bapi('GET', `/v1/users/${userId}`)).json.external_accounts).toEqual([])
  })

  it('a forged state is refused and changes nothing', async () => {
    const { b, authorize, signInId } = await start()
    authorize.searchParams.set('state', 'forged-state-0123456789abcdef0123456789abcdef')
    const back = await callback(
      b,
      await atProvider(authorize, account({ email: `f${n}@example.com`, email_verified: true })),
    )
    expect(back.status).toBe(400)
    expect(back.json.errors[0].code).toBe('verification_missing')
    const signIn = (await b.request('GET', `/v1/client/sign_ins/${signInId}`)).json.response
    expect(signIn.first_factor_verification.status).toBe('unverified')
  })

  it('a replayed callback is refused: the state is single use', async () => {
    const s = await start()
    const url = await atProvider(
      s.authorize,
      account({ email: `r${n}@example.com`, email_verified: true }),
    )
    expect((await callback(s.b, url)).status).toBe(303)
    const replay = await callback(s.b, url)
    expect(replay.status).toBe(400)
    expect(replay.json.errors[0].code).toBe('verification_already_verified')
  })

  it('a callback opened in another browser proves nothing there', async () => {
    const s = await start()
    const url = await atProvider(
      s.authorize,
      account({ email: `o${n}@example.com`, email_verified: true }),
    )
    const other = await callback(new BrowserClient(server.url, server.url), url)
    expect(other.status).toBe(400)
    expect(other.json.errors[0].code).toBe('verification_client_mismatch')
    // The right browser can still finish.
    expect((await callback(s.b, url)).status).toBe(303)
  })

  it('a wrong nonce in the ID token fails the verification: no user, no session', async () => {
    const before = await userCount()
    const s = await start()
    s.authorize.searchParams.set('nonce', 'not-the-nonce-latchkey-sent-0123456789abcdef')
    const back = await callback(
      s.b,
      await atProvider(s.authorize, account({ email: `nn${n}@example.com`, email_verified: true })),
    )
    expect(back).toMatchObject({ status: 303, location: `${server.url}/sso-callback` })
    const client = (await s.b.request('GET', '/v1/client')).json.response
    expect(client.sign_in.first_factor_verification.status).toBe('failed')
    expect(client.sessions).toEqual([])
    const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.errors[0].code).toBe('external_account_not_found')
    expect(await userCount()).toBe(before)
  })

  it('a form_post callback is sent on to the GET, where the cookie travels', async () => {
    const res = await fetch(`${server.url}/v1/oauth_callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=abc&state=xyz',
      redirect: 'manual',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${server.url}/v1/oauth_callback?code=abc&state=xyz`)
  })

  it('refuses a redirect_url off the allowed origins, and an unknown provider', async () => {
    const b = new BrowserClient(server.url, server.url)
    const evil = await b.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: 'https://evil.example/steal',
    })
    expect(evil.status).toBe(422)
    expect(evil.json.errors[0].meta.param_name).toBe('redirect_url')
    const unknown = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'oauth_github',
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(unknown.status).toBe(422)
    expect(unknown.json.errors[0].meta.param_name).toBe('strategy')
  })

  it('Backend API: connections are configured, the secret sealed and never shown', async () => {
    const list = await bapi('GET', '/v1/oauth_connections')
    expect(list.status).toBe(200)
    expect(list.json).toMatchObject([
      {
        object: 'oauth_connection',
        provider: 'custom_acme',
        strategy: STRATEGY,
        issuer: idp.issuer,
        client_id: idp.clientId,
        enabled: true,
      },
    ])
    expect(JSON.stringify(list.json)).not.toContain(idp.clientSecret)
    const stored = await server.services.oauthConnections.list()
    expect(stored[0]?.client_secret_sealed).not.toContain(idp.clientSecret)
    const bad = await bapi('POST', '/v1/oauth_connections', {
      provider: 'Not A Key',
      issuer: idp.issuer,
      client_id: 'x',
      client_secret: 'y',
    })
    expect(bad.status).toBe(422)
    const unreachable = await bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_gone',
      issuer: 'http://127.0.0.1:9/',
      client_id: 'x',
      client_secret: 'y',
    })
    expect(unreachable.status).toBe(422)
    expect(unreachable.json.errors[0].meta.param_name).toBe('issuer')
    const env = await fetchJson(`${server.url}/v1/environment`)
    expect(env.json.user_settings.social).toEqual({
      [STRATEGY]: {
        enabled: true,
        required: false,
        authenticatable: true,
        block_email_subaddresses: false,
        strategy: STRATEGY,
        not_selectable: false,
        deprecated: false,
        name: 'Acme',
        logo_url: null,
      },
    })
    const id = list.json[0].id as string
    const off = await bapi('PATCH', `/v1/oauth_connections/${id}`, { enabled: false })
    expect(off.json.enabled).toBe(false)
    const refused = await new BrowserClient(server.url, server.url).request(
      'POST',
      '/v1/client/sign_ins',
      {
        strategy: STRATEGY,
        redirect_url: `${server.url}/sso-callback`,
      },
    )
    expect(refused.status).toBe(422)
    expect(
      (await bapi('PATCH', `/v1/oauth_connections/${id}`, { enabled: true })).json.enabled,
    ).toBe(true)
    const extra = await bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_second',
      issuer: idp.issuer,
      client_id: 'another',
      client_secret: 'another-secret',
    })
    expect(extra.status).toBe(200)
    const gone = await bapi('DELETE', `/v1/oauth_connections/${extra.json.id}`)
    expect(gone.json).toEqual({ object: 'oauth_connection', id: extra.json.id, deleted: true })
    expect((await bapi('GET', `/v1/oauth_connections/${extra.json.id}`)).status).toBe(404)
  })
})
