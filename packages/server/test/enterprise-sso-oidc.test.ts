import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

// Issue #18 item 4: enterprise SSO over OpenID Connect, against a real OIDC provider on
// loopback (oidc-provider): the identifier's email domain chooses the connection; the address
// counts only inside the connection's domains; every refusal links and creates nothing.
describe.each(DIALECTS)('enterprise SSO with an OpenID Connect IdP (%s)', (dialect) => {
  let server: TestServer
  let idp: UpstreamIdp
  let connectionId = ''
  let n = 0
  const domain = `oidc-${dialect}.test`

  beforeAll(async () => {
    server = await createTestServer(dialect)
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Acme Entra',
      provider: 'oidc_custom',
      domains: [domain.toUpperCase()],
      active: true,
      oidc: {
        discovery_url: idp.issuer,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      },
    })
    expect(made.status, JSON.stringify(made.json)).toBe(200)
    connectionId = made.json.id
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
  })

  function bapi(method: string, path: string, body?: unknown) {
    return fetchJson(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const userCount = async () => (await bapi('GET', '/v1/users/count')).json.total_count as number
  const accountCount = async () =>
    Number(
      (
        await server.db.db
          .selectFrom('external_accounts')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  /** An account at the IdP asserting `claims`. */
  function account(claims: { email?: string; email_verified?: boolean }) {
    const sub = `emp-${dialect}-${++n}`
    idp.accounts.set(sub, { given_name: 'Grace', family_name: 'Hopper', ...claims })
    return sub
  }

  async function start(identifier: string, b = new BrowserClient(server.url, server.url)) {
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const v = r.json.response.first_factor_verification
    expect(v).toMatchObject({ status: 'unverified', strategy: 'enterprise_sso' })
    return {
      b,
      signInId: r.json.response.id as string,
      authorize: new URL(v.external_verification_redirect_url),
    }
  }

  async function atIdp(authorize: URL, sub: string): Promise<URL> {
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(authorize.href)
    const back = new URL(page.url)
    expect(back.origin + back.pathname).toBe(`${server.url}/v1/oauth_callback`)
    return back
  }

  async function callback(b: BrowserClient, url: URL) {
    const res = await b.send('GET', url.pathname + url.search)
    const text = await res.text()
    return {
      status: res.status,
      location: res.headers.get('location'),
      json: text ? JSON.parse(text) : undefined,
    }
  }

  async function flow(identifier: string, sub: string) {
    const s = await start(identifier)
    const back = await callback(s.b, await atIdp(s.authorize, sub))
    const client = (await s.b.request('GET', '/v1/client')).json.response
    return { ...s, back, client }
  }

  it('the domain chooses the connection: code flow with state, nonce, PKCE S256 and login_hint', async () => {
    const { authorize } = await start(`someone@${domain}`)
    expect(authorize.origin).toBe(idp.issuer)
    const q = authorize.searchParams
    expect(q.get('client_id')).toBe(idp.clientId)
    expect(q.get('redirect_uri')).toBe(`${server.url}/v1/oauth_callback`)
    expect(q.get('scope')).toBe('openid email profile')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('state')).toMatch(/^[\w-]{40,}$/)
    expect(q.get('nonce')).toMatch(/^[\w-]{40,}$/)
    expect(q.get('login_hint')).toBe(`someone@${domain}`)
  })

  it('first sign-in creates the user with the verified email (transfer); again: the same user', async () => {
    const email = `grace-${dialect}@${domain}`
    const sub = account({ email, email_verified: true })
    const before = await userCount()
    const first = await flow(email, sub)
    expect(first.back).toMatchObject({ status: 303, location: `${server.url}/sso-callback` })
    expect(first.client.sign_in).toMatchObject({
      status: 'needs_identifier',
      first_factor_verification: { status: 'transferable', strategy: 'enterprise_sso' },
    })
    const up = await first.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status, JSON.stringify(up.json)).toBe(200)
    expect(up.json.response).toMatchObject({ status: 'complete', email_address: email })
    const userId = up.json.response.created_user_id as string
    const user = await clerk().users.getUser(userId)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect([user.firstName, user.lastName]).toEqual(['Grace', 'Hopper'])
    const raw = (await bapi('GET', `/v1/users/${userId}`)).json
    expect(raw.external_accounts).toEqual([])
    expect(raw.enterprise_accounts).toMatchObject([
      {
        object: 'enterprise_account',
        protocol: 'oauth',
        provider: 'oidc_custom',
        active: true,
        email_address: email,
        provider_user_id: sub,
        enterprise_connection_id: connectionId,
      },
    ])
    expect(await userCount()).toBe(before + 1)

    const again = await flow(email, sub)
    expect(again.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    expect(again.client.sessions.map((s: { user: { id: string } }) => s.user.id)).toEqual([userId])
    expect(await userCount()).toBe(before + 1)
  })

  it('an existing user with the address verified here is linked and signed in', async () => {
    const email = `existing-${dialect}@${domain}`
    const existing = await clerk().users.createUser({ emailAddress: [email] })
    const before = await userCount()
    const s = await flow(email, account({ email }))
    expect(s.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    expect(s.client.sessions.map((x: { user: { id: string } }) => x.user.id)).toEqual([existing.id])
    expect(await userCount()).toBe(before)
  })

  it('an address the IdP says is unverified links nothing', async () => {
    const email = `unproved-${dialect}@${domain}`
    const existing = await clerk().users.createUser({ emailAddress: [email] })
    const accounts = await accountCount()
    const s = await flow(email, account({ email, email_verified: false }))
    expect(s.back.status).toBe(303)
    expect(s.client.sessions).toEqual([])
    expect(s.client.sign_in.first_factor_verification.status).toBe('transferable')
    expect((await bapi('GET', `/v1/users/${existing.id}`)).json.enterprise_accounts).toEqual([])
    expect(await accountCount()).toBe(accounts)
  })

  it('an ID token email outside the connection’s domains is refused: nothing linked', async () => {
    const users = await userCount()
    const accounts = await accountCount()
    const s = await flow(`victim-${dialect}@${domain}`, account({ email: 'ceo@elsewhere.test' }))
    expect(s.back.status).toBe(403)
    expect(s.back.json.errors[0].code).toBe('saml_email_address_domain_mismatch')
    expect(s.client.sessions).toEqual([])
    const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.errors[0].code).toBe('external_account_not_found')
    expect(await userCount()).toBe(users)
    expect(await accountCount()).toBe(accounts)
  })

  it('a wrong nonce fails the verification (Clerk’s error path): no user, no session', async () => {
    const users = await userCount()
    const s = await start(`nonce-${dialect}@${domain}`)
    s.authorize.searchParams.set('nonce', 'not-the-nonce-latchkey-sent-0123456789abcdef')
    const back = await callback(
      s.b,
      await atIdp(s.authorize, account({ email: `nonce-${dialect}@${domain}` })),
    )
    expect(back).toMatchObject({ status: 303, location: `${server.url}/sso-callback` })
    const client = (await s.b.request('GET', '/v1/client')).json.response
    expect(client.sign_in.first_factor_verification.status).toBe('failed')
    expect(client.sessions).toEqual([])
    const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.errors[0].code).toBe('external_account_not_found')
    expect(await userCount()).toBe(users)
  })

  it('a forged state is refused and changes nothing', async () => {
    const s = await start(`forged-${dialect}@${domain}`)
    s.authorize.searchParams.set('state', 'forged-state-0123456789abcdef0123456789abcdef')
    const back = await callback(
      s.b,
      await atIdp(s.authorize, account({ email: `forged-${dialect}@${domain}` })),
    )
    expect(back.status).toBe(400)
    expect(back.json.errors[0].code).toBe('verification_missing')
    const signIn = (await s.b.request('GET', `/v1/client/sign_ins/${s.signInId}`)).json.response
    expect(signIn.first_factor_verification.status).toBe('unverified')
  })

  it('a client secret is sealed at rest and never shown', async () => {
    const got = await bapi('GET', `/v1/enterprise_connections/${connectionId}`)
    expect(JSON.stringify(got.json)).not.toContain(idp.clientSecret)
    const row = await server.db.db
      .selectFrom('enterprise_connections')
      .select('oidc_client_secret_sealed')
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow()
    expect(row.oidc_client_secret_sealed).not.toContain(idp.clientSecret)
  })

  it('a sign-up by enterprise_sso creates the user; a second one transfers to a sign-in of that user', async () => {
    const email = `signup-${dialect}@${domain}`
    const sub = account({ email, email_verified: true })
    async function signUp() {
      const b = new BrowserClient(server.url, server.url)
      const r = await b.request('POST', '/v1/client/sign_ups', {
        strategy: 'enterprise_sso',
        email_address: email,
        redirect_url: `${server.url}/sso-callback`,
        action_complete_redirect_url: `${server.url}/done`,
      })
      expect(r.status, JSON.stringify(r.json)).toBe(200)
      const v = r.json.response.verifications.external_account
      expect(v).toMatchObject({ status: 'unverified', strategy: 'enterprise_sso' })
      const back = await callback(
        b,
        await atIdp(new URL(v.external_verification_redirect_url), sub),
      )
      return { b, back }
    }
    const missing = await new BrowserClient(server.url, server.url).request(
      'POST',
      '/v1/client/sign_ups',
      { strategy: 'enterprise_sso', redirect_url: `${server.url}/sso-callback` },
    )
    expect(missing.status).toBe(422)
    expect(missing.json.errors[0].meta.param_name).toBe('email_address')
    const users = await userCount()
    const first = await signUp()
    expect(first.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    const client = (await first.b.request('GET', '/v1/client')).json.response
    const userId = client.sessions[0].user.id as string
    expect(client.sessions[0].user.email_addresses[0]).toMatchObject({
      email_address: email,
      verification: { status: 'verified' },
    })
    expect(await userCount()).toBe(users + 1)
    const second = await signUp()
    expect(second.back.status).toBe(303)
    const inn = await second.b.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
    expect(inn.status, JSON.stringify(inn.json)).toBe(200)
    expect(inn.json.response.status).toBe('complete')
    const after = (await second.b.request('GET', '/v1/client')).json.response
    expect(after.sessions.map((s: { user: { id: string } }) => s.user.id)).toEqual([userId])
    expect(await userCount()).toBe(users + 1)
  })

  it('the environment turns enterprise SSO on while a connection is active', async () => {
    const env = await fetchJson(`${server.url}/v1/environment`)
    expect(env.json.user_settings.enterprise_sso).toEqual({ enabled: true })
  })

  it('clerk-js’s identifier step: an unknown address at the domain is offered enterprise_sso only, and continues to the IdP', async () => {
    const email = `newcomer-${dialect}@${domain}`
    const b = new BrowserClient(server.url, server.url)
    const created = await b.request('POST', '/v1/client/sign_ins', { identifier: email })
    expect(created.status, JSON.stringify(created.json)).toBe(200)
    expect(created.json.response).toMatchObject({
      status: 'needs_identifier',
      identifier: email,
      supported_first_factors: [{ strategy: 'enterprise_sso' }],
    })
    const signInId = created.json.response.id as string
    const prepared = await b.request(
      'POST',
      `/v1/client/sign_ins/${signInId}/prepare_first_factor`,
      {
        strategy: 'enterprise_sso',
        redirect_url: `${server.url}/sso-callback`,
        action_complete_redirect_url: `${server.url}/done`,
      },
    )
    expect(prepared.status, JSON.stringify(prepared.json)).toBe(200)
    const v = prepared.json.response.first_factor_verification
    expect(prepared.json.response.status).toBe('needs_first_factor')
    expect(v).toMatchObject({ status: 'unverified', strategy: 'enterprise_sso' })
    const url = await atIdp(
      new URL(v.external_verification_redirect_url),
      account({ email, email_verified: true }),
    )
    const back = await callback(b, url)
    expect(back).toMatchObject({ status: 303, location: `${server.url}/sso-callback` })
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response).toMatchObject({ status: 'complete', email_address: email })
  })

  it('a known user at the domain: enterprise_sso is the one first factor, a password is refused', async () => {
    const email = `pw-${dialect}@${domain}`
    await clerk().users.createUser({ emailAddress: [email], password: 'correct horse battery 9' })
    const b = new BrowserClient(server.url, server.url)
    const created = await b.request('POST', '/v1/client/sign_ins', { identifier: email })
    expect(created.json.response).toMatchObject({
      status: 'needs_first_factor',
      supported_first_factors: [{ strategy: 'enterprise_sso' }],
    })
    const id = created.json.response.id as string
    const attempt = await b.request('POST', `/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'password',
      password: 'correct horse battery 9',
    })
    expect(attempt.status).toBe(422)
    expect(attempt.json.errors[0].code).toBe('strategy_for_user_invalid')
    const oneCall = await b.request('POST', '/v1/client/sign_ins', {
      identifier: email,
      password: 'correct horse battery 9',
    })
    expect(oneCall.json.errors[0].code).toBe('strategy_for_user_invalid')
    const code = await b.request('POST', `/v1/client/sign_ins/${id}/prepare_first_factor`, {
      strategy: 'email_code',
    })
    expect(code.json.errors[0].code).toBe('strategy_for_user_invalid')
    const before = await server.snapshot()
    const prepared = await b.request('POST', '/v1/client/sign_ins', {
      identifier: email,
      strategy: 'email_code',
    })
    expect(prepared.json.errors[0].code).toBe('strategy_for_user_invalid')
    expect(await server.snapshot()).toEqual(before)
    expect((await b.request('GET', '/v1/client')).json.response.sessions).toEqual([])
  })

  it('a known user’s identifier step, then an IdP answer that proves nobody: the sign-in names no user', async () => {
    const email = `step-${dialect}@${domain}`
    const user = await clerk().users.createUser({ emailAddress: [email] })
    const b = new BrowserClient(server.url, server.url)
    const created = await b.request('POST', '/v1/client/sign_ins', { identifier: email })
    expect(created.json.response.user_data).not.toBeNull()
    const id = created.json.response.id as string
    const prepared = await b.request('POST', `/v1/client/sign_ins/${id}/prepare_first_factor`, {
      strategy: 'enterprise_sso',
      redirect_url: `${server.url}/sso-callback`,
    })
    const v = prepared.json.response.first_factor_verification
    const back = await callback(
      b,
      await atIdp(
        new URL(v.external_verification_redirect_url),
        account({ email, email_verified: false }),
      ),
    )
    expect(back.status).toBe(303)
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client.sessions).toEqual([])
    expect(client.sign_in).toMatchObject({ status: 'needs_identifier', user_data: null })
    expect((await bapi('GET', `/v1/users/${user.id}`)).json.enterprise_accounts).toEqual([])
  })

  it('an inactive connection offers no enterprise_sso factor and chooses nothing', async () => {
    const quiet = `quiet-${dialect}.test`
    const made = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Quiet',
      provider: 'oidc_custom',
      domains: [quiet],
      oidc: { discovery_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret },
    })
    expect(made.json).toMatchObject({ active: false, authenticatable: false })
    const email = `someone@${quiet}`
    await clerk().users.createUser({ emailAddress: [email], password: 'correct horse battery 9' })
    const b = new BrowserClient(server.url, server.url)
    const created = await b.request('POST', '/v1/client/sign_ins', { identifier: email })
    const strategies = created.json.response.supported_first_factors.map(
      (f: { strategy: string }) => f.strategy,
    )
    expect(strategies).not.toContain('enterprise_sso')
    expect(strategies).toContain('password')
    const unknown = await b.request('POST', '/v1/client/sign_ins', { identifier: `x@${quiet}` })
    expect(unknown.json.errors[0].code).toBe('form_identifier_not_found')
    const sso = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier: email,
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(sso.status).toBe(422)
    expect(sso.json.errors[0].code).toBe('saml_connection_active_not_found')
    expect((await bapi('DELETE', `/v1/enterprise_connections/${made.json.id}`)).status).toBe(200)
  })

  it('@clerk/backend’s enterpriseConnections works against it: create, read, list, update, delete', async () => {
    const api = clerk().enterpriseConnections
    const made = await api.createEnterpriseConnection({
      name: 'Globex',
      provider: 'oidc_custom',
      domains: [`globex-${dialect}.test`],
      oidc: { discoveryUrl: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret },
    })
    expect(made).toMatchObject({
      name: 'Globex',
      provider: 'oidc_custom',
      active: false,
      domains: [`globex-${dialect}.test`],
      allowSubdomains: false,
    })
    expect(made.oauthConfig).toMatchObject({ clientId: idp.clientId, requiresPkce: true })
    expect((await api.getEnterpriseConnection(made.id)).id).toBe(made.id)
    const list = await api.getEnterpriseConnectionList({ limit: 100 })
    expect(list.data.map((c) => c.id)).toContain(made.id)
    expect(list.totalCount).toBe(list.data.length)
    const on = await api.updateEnterpriseConnection(made.id, { active: true })
    expect(on.active).toBe(true)
    expect(on.authenticatable).toBe(true)
    await api.deleteEnterpriseConnection(made.id)
    expect((await bapi('GET', `/v1/enterprise_connections/${made.id}`)).status).toBe(404)
  })

  it('Backend API: list (SAML too), read, update, delete; bad input is a 4xx that changes nothing', async () => {
    const saml = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Acme SAML',
      provider: 'saml_okta',
      domains: [`saml-${dialect}.test`],
      saml: { idp_entity_id: 'https://idp.example/entity', idp_sso_url: 'https://idp.example/sso' },
    })
    expect(saml.status, JSON.stringify(saml.json)).toBe(200)
    expect(saml.json).toMatchObject({
      object: 'enterprise_connection',
      provider: 'saml_okta',
      active: false,
      oauth_config: null,
      saml_connection: { idp_entity_id: 'https://idp.example/entity' },
    })
    // The same row through the older API.
    expect((await bapi('GET', `/v1/saml_connections/${saml.json.id}`)).json.provider).toBe(
      'saml_okta',
    )
    const list = await bapi('GET', '/v1/enterprise_connections?limit=50')
    expect(list.json.total_count).toBe(list.json.data.length)
    const ids = list.json.data.map((c: { id: string }) => c.id)
    expect(ids).toEqual(expect.arrayContaining([connectionId, saml.json.id]))
    const activeOnly = await bapi('GET', '/v1/enterprise_connections?active=true')
    expect(activeOnly.json.data.map((c: { id: string }) => c.id)).toEqual([connectionId])

    const got = await bapi('GET', `/v1/enterprise_connections/${connectionId}`)
    expect(got.json).toMatchObject({
      object: 'enterprise_connection',
      id: connectionId,
      provider: 'oidc_custom',
      domains: [domain],
      active: true,
      authenticatable: true,
      saml_connection: null,
      oauth_config: {
        provider_key: 'oidc_custom',
        client_id: idp.clientId,
        discovery_url: `${idp.issuer}/`,
        requires_pkce: true,
        scopes: 'openid email profile',
      },
    })
    expect(got.json.oauth_config).not.toHaveProperty('client_secret')

    const renamed = await bapi('PATCH', `/v1/enterprise_connections/${connectionId}`, {
      name: 'Acme Entra ID',
      domains: [],
      oidc: { scopes: 'email profile groups' },
    })
    expect(renamed.status, JSON.stringify(renamed.json)).toBe(200)
    expect(renamed.json).toMatchObject({ name: 'Acme Entra ID', domains: [domain] })
    expect(renamed.json.oauth_config.scopes).toBe('openid email profile groups')
    await bapi('PATCH', `/v1/enterprise_connections/${connectionId}`, {
      oidc: { scopes: 'email profile' },
    })

    const before = (await bapi('GET', '/v1/enterprise_connections?limit=50')).json
    const bad: [string, string, unknown, number, string][] = [
      ['POST', '/v1/enterprise_connections', { name: 'x', provider: 'oidc_custom' }, 422, ''],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_nope', domains: ['a.test'] },
        422,
        'provider',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: ['not a domain'] },
        422,
        'domains',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: [domain] },
        422,
        'domains',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: [`saml-${dialect}.test`] },
        422,
        'domains',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: ['b.test'], active: true },
        422,
        'oidc',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        {
          name: 'x',
          provider: 'oidc_custom',
          domains: ['c.test'],
          oidc: { discovery_url: 'http://example.com/', client_id: 'a', client_secret: 'b' },
        },
        422,
        'oidc.discovery_url',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        {
          name: 'x',
          provider: 'oidc_custom',
          domains: ['d.test'],
          oidc: { discovery_url: 'http://127.0.0.1:1/', client_id: 'a', client_secret: 'b' },
        },
        422,
        'oidc.discovery_url',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: ['e.test'], saml: {} },
        422,
        'saml',
      ],
      [
        'POST',
        '/v1/enterprise_connections',
        { name: 'x', provider: 'oidc_custom', domains: ['f.test'], bogus: 1 },
        422,
        '',
      ],
      [
        'PATCH',
        `/v1/enterprise_connections/${connectionId}`,
        { oidc: { client_secret: null } },
        422,
        'oidc',
      ],
      [
        'PATCH',
        `/v1/enterprise_connections/${saml.json.id}`,
        { oidc: { client_id: 'x' } },
        422,
        'oidc',
      ],
      ['GET', '/v1/enterprise_connections/entc_doesnotexist', undefined, 404, ''],
      ['GET', '/v1/enterprise_connections/nope', undefined, 422, ''],
      ['DELETE', '/v1/enterprise_connections/entc_doesnotexist', undefined, 404, ''],
    ]
    for (const [method, path, body, status, param] of bad) {
      const r = await bapi(method, path, body)
      expect([method, path, r.status], JSON.stringify(r.json)).toEqual([method, path, status])
      expect(r.json.errors[0]).toHaveProperty('long_message')
      if (param) expect(r.json.errors[0].meta.param_name).toBe(param)
    }
    expect((await bapi('GET', '/v1/enterprise_connections?limit=50')).json).toEqual(before)

    const gone = await bapi('DELETE', `/v1/enterprise_connections/${saml.json.id}`)
    expect(gone.json).toEqual({ object: 'enterprise_connection', id: saml.json.id, deleted: true })
    expect((await bapi('GET', `/v1/enterprise_connections/${saml.json.id}`)).status).toBe(404)
  })
})
