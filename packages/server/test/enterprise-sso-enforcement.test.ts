import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

// Issue #18, security review: an address an active enterprise connection covers signs in at its
// IdP only, decided on the found user's addresses (not only the typed identifier); an OIDC
// `email_verified: "false"` proves nothing; connections' domains may not overlap.
describe.each(DIALECTS)('enterprise SSO enforcement (%s)', (dialect) => {
  let server: TestServer
  let corp: UpstreamIdp
  let social: UpstreamIdp
  const domain = `enf-${dialect}.test`
  const password = 'correct horse battery 9'
  const bapi = (method: string, path: string, body?: unknown) =>
    fetchJson(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const userCount = async () => (await clerk().users.getUserList({ limit: 500 })).totalCount
  const oidc = (idp: UpstreamIdp) => ({
    discovery_url: idp.issuer,
    client_id: idp.clientId,
    client_secret: idp.clientSecret,
  })
  const refused = (r: { status: number; json: Json }, code = 'strategy_for_user_invalid') => {
    expect(r.status, JSON.stringify(r.json)).toBe(422)
    expect(r.json.errors[0].code).toBe(code)
  }

  beforeAll(async () => {
    server = await createTestServer(dialect)
    corp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    social = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Acme',
      provider: 'oidc_custom',
      domains: [domain],
      active: true,
      oidc: oidc(corp),
    })
    expect(made.status, JSON.stringify(made.json)).toBe(200)
    const s = await bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_social',
      issuer: social.issuer,
      client_id: social.clientId,
      client_secret: social.clientSecret,
    })
    expect(s.status, JSON.stringify(s.json)).toBe(200)
  })
  afterAll(async () => {
    await corp?.close()
    await social?.close()
    await server?.close()
  })

  it('a username and password of a user with a covered address: refused, no session', async () => {
    await clerk().users.createUser({
      emailAddress: [`alice@${domain}`],
      username: `alice_${dialect}`,
      password,
    })
    const b = new BrowserClient(server.url, server.url)
    refused(
      await b.request('POST', '/v1/client/sign_ins', { identifier: `alice_${dialect}`, password }),
    )
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client?.sessions ?? []).toEqual([])
    expect(client?.sign_in ?? null).toBeNull()
  })

  it('a username identifier offers enterprise_sso only; email strategies are refused', async () => {
    await clerk().users.createUser({ emailAddress: [`bob@${domain}`], username: `bob_${dialect}` })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', { identifier: `bob_${dialect}` })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const factors = r.json.response.supported_first_factors
    expect(factors.map((f: { strategy: string }) => f.strategy)).toEqual(['enterprise_sso'])
    for (const strategy of ['email_code', 'email_link', 'reset_password_email_code', 'password']) {
      const p = await b.request(
        'POST',
        `/v1/client/sign_ins/${r.json.response.id}/prepare_first_factor`,
        { strategy, redirect_url: `${server.url}/verify` },
      )
      refused(p)
    }
    const a = await b.request(
      'POST',
      `/v1/client/sign_ins/${r.json.response.id}/attempt_first_factor`,
      { strategy: 'password', password },
    )
    refused(a)
    // The username with a strategy at once: refused before the sign-in is written.
    const c = new BrowserClient(server.url, server.url)
    refused(
      await c.request('POST', '/v1/client/sign_ins', {
        identifier: `bob_${dialect}`,
        strategy: 'email_code',
      }),
    )
    expect((await c.request('GET', '/v1/client')).json.response?.sign_in ?? null).toBeNull()
  })

  it('a sign-up with a password at a covered address: refused, nothing written', async () => {
    const before = await userCount()
    const b = new BrowserClient(server.url, server.url)
    refused(
      await b.request('POST', '/v1/client/sign_ups', {
        email_address: `carol@${domain}`,
        password,
      }),
    )
    expect(await userCount()).toBe(before)
    expect((await b.request('GET', '/v1/client')).json.response?.sign_up ?? null).toBeNull()
  })

  it('a social provider asserting a covered address neither signs in nor links its user', async () => {
    const user = await clerk().users.createUser({ emailAddress: [`emp@${domain}`] })
    social.accounts.set('personal', { email: `emp@${domain}`, email_verified: true })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'oauth_custom_social',
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    social.signInAs = 'personal'
    const page = await new BrowserAgent(social.issuer).goto(
      r.json.response.first_factor_verification.external_verification_redirect_url,
    )
    const back = new URL(page.url)
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(422)
    expect(((await res.json()) as Json).errors[0].code).toBe('strategy_for_user_invalid')
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client.sessions).toEqual([])
    expect((await clerk().users.getUser(user.id)).externalAccounts).toEqual([])
    // Nor does a transfer create anyone from it.
    const before = await userCount()
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status).not.toBe(200)
    expect(await userCount()).toBe(before)
  })

  it('a social sign-up asserting a new covered address creates no one', async () => {
    const before = await userCount()
    social.accounts.set('newbie', { email: `newbie@${domain}`, email_verified: true })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ups', {
      strategy: 'oauth_custom_social',
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    social.signInAs = 'newbie'
    const page = await new BrowserAgent(social.issuer).goto(
      r.json.response.verifications.external_account.external_verification_redirect_url,
    )
    const back = new URL(page.url)
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(422)
    expect(await userCount()).toBe(before)
  })

  it('an OIDC email_verified "false" (a string) proves nothing: no existing user is linked', async () => {
    const email = `strfalse@${domain}`
    const existing = await clerk().users.createUser({ emailAddress: [email] })
    corp.accounts.set('str-false', { email, email_verified: 'false' as unknown as boolean })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier: email,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    corp.signInAs = 'str-false'
    const page = await new BrowserAgent(corp.issuer).goto(
      r.json.response.first_factor_verification.external_verification_redirect_url,
    )
    const back = new URL(page.url)
    const res = await b.send('GET', back.pathname + back.search)
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client.sessions).toEqual([])
    expect(client.sign_in.first_factor_verification.status).toBe('transferable')
    expect((await bapi('GET', `/v1/users/${existing.id}`)).json.enterprise_accounts).toEqual([])
  })

  it('overlapping connection domains are refused both ways at create and update', async () => {
    const parent = `parent-${dialect}.test`
    const a = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Parent',
      provider: 'oidc_custom',
      domains: [parent],
      active: true,
      allow_subdomains: true,
      oidc: oidc(corp),
    })
    expect(a.status, JSON.stringify(a.json)).toBe(200)
    const before = (await bapi('GET', '/v1/enterprise_connections')).json
    // A subdomain of a connection that allows subdomains.
    const b = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Subsidiary',
      provider: 'oidc_custom',
      domains: [`sub.${parent}`],
      active: true,
      oidc: oidc(social),
    })
    refused(b, 'form_identifier_exists')
    expect(b.json.errors[0].meta.param_name).toBe('domains')
    expect((await bapi('GET', '/v1/enterprise_connections')).json).toEqual(before)
    // An update that would overlap.
    const d = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Other',
      provider: 'oidc_custom',
      domains: [`leaf.top-${dialect}.test`],
      active: true,
      oidc: oidc(social),
    })
    expect(d.status, JSON.stringify(d.json)).toBe(200)
    const above = await bapi('POST', '/v1/enterprise_connections', {
      name: 'Umbrella of other',
      provider: 'oidc_custom',
      domains: [`top-${dialect}.test`],
      active: true,
      allow_subdomains: true,
      oidc: oidc(social),
    })
    refused(above, 'form_identifier_exists')
    const u = await bapi('PATCH', `/v1/enterprise_connections/${d.json.id}`, {
      domains: [`deep.sub.${parent}`],
    })
    refused(u, 'form_identifier_exists')
  })
})
