import { createClerkClient } from '@clerk/backend'
import { DOMParser } from '@xmldom/xmldom'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { keyPair, type ResponseOptions, SamlIdp } from './helpers/saml-idp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #18 item 4: enterprise SSO over SAML 2.0, against a real IdP on loopback signing its
// assertions with xml-crypto; the connection is chosen by the identifier's email domain, and
// every refusal is a Clerk-style error that links and creates nothing.
describe.each(DIALECTS)('enterprise SSO with a SAML IdP (%s)', (dialect) => {
  let server: TestServer
  let idp: SamlIdp
  let connectionId = ''
  let acsUrl = ''
  let spEntityId = ''
  let n = 0
  const domain = `acme-${dialect}.test`
  const other = keyPair('Another IdP')

  beforeAll(async () => {
    server = await createTestServer(dialect)
    idp = await SamlIdp.start()
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const made = await clerk.samlConnections.createSamlConnection({
      name: 'Acme Okta',
      provider: 'saml_custom',
      domain,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCertificate: idp.cert,
    })
    expect(made).toMatchObject({ name: 'Acme Okta', active: false, domain })
    const active = await clerk.samlConnections.updateSamlConnection(made.id, { active: true })
    expect(active.active).toBe(true)
    connectionId = made.id
    acsUrl = made.acsUrl
    spEntityId = made.spEntityId
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
  const linkedCount = async () =>
    (await clerk().samlConnections.getSamlConnection(connectionId)).userCount

  /** A browser starts `enterprise_sso` with `identifier`; returns the IdP redirect. */
  async function start(identifier: string, b = new BrowserClient(server.url, server.url)) {
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const v = r.json.response.first_factor_verification
    expect(v).toMatchObject({
      object: 'verification_oauth',
      status: 'unverified',
      strategy: 'enterprise_sso',
    })
    return { b, redirect: new URL(v.external_verification_redirect_url) }
  }

  /** The person signs in at the IdP; returns the form its page would post to the ACS. */
  async function atIdp(redirect: URL, email: string) {
    idp.signInAs = { email, firstName: 'Grace', lastName: 'Hopper' }
    const r = await fetch(redirect)
    expect(r.status).toBe(200)
    return (await r.json()) as { SAMLResponse: string; RelayState: string; acs: string }
  }

  /** The IdP's page posts to the ACS: cross-site, so without the `__client` cookie. */
  async function post(form: { SAMLResponse: string; RelayState?: string }) {
    const res = await fetch(acsUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    })
    const text = await res.text()
    return {
      status: res.status,
      location: res.headers.get('location'),
      json: text && !text.startsWith('<') ? JSON.parse(text) : undefined,
    }
  }

  async function signInFlow(email: string) {
    const s = await start(email)
    const form = await atIdp(s.redirect, email)
    const acs = await post(form)
    expect(acs.status, JSON.stringify(acs.json)).toBe(303)
    const next = new URL(acs.location ?? '')
    expect(next.pathname).toBe('/v1/oauth_callback')
    const back = await s.b.send('GET', next.pathname + next.search)
    const client = (await s.b.request('GET', '/v1/client')).json.response
    return {
      ...s,
      form,
      back: { status: back.status, location: back.headers.get('location') },
      client,
    }
  }

  /** A response for a fresh sign-in's request, bent by `bend`, and the sign-in's browser. */
  async function bent(bend: Partial<ResponseOptions>) {
    const email = `bent-${++n}@${domain}`
    const s = await start(email)
    await atIdp(s.redirect, email)
    const req = idp.lastRequest
    if (!req) throw new Error('no AuthnRequest')
    const SAMLResponse = idp.response({
      email,
      acsUrl: req.acsUrl,
      audience: req.issuer,
      inResponseTo: req.id,
      ...bend,
    })
    return { ...s, form: { SAMLResponse, RelayState: req.relayState } }
  }

  it('serves SP metadata that parses and names the ACS URL and the entity id', async () => {
    const r = await fetch(`${server.url}/v1/saml/metadata/${connectionId}.xml`)
    expect(r.status).toBe(200)
    const doc = new DOMParser().parseFromString(await r.text(), 'text/xml')
    const md = 'urn:oasis:names:tc:SAML:2.0:metadata'
    expect(doc.documentElement?.getAttribute('entityID')).toBe(spEntityId)
    const sp = doc.getElementsByTagNameNS(md, 'SPSSODescriptor')[0]
    expect(sp?.getAttribute('WantAssertionsSigned')).toBe('true')
    const acs = doc.getElementsByTagNameNS(md, 'AssertionConsumerService')[0]
    expect(acs?.getAttribute('Location')).toBe(`${server.url}/v1/saml/acs/${connectionId}`)
    expect(acs?.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST')
    expect((await fetch(`${server.url}/v1/saml/metadata/samlc_nope.xml`)).status).toBe(404)
  })

  it('the identifier domain chooses the connection: an AuthnRequest by redirect, RelayState bound', async () => {
    const { redirect } = await start(`Someone@${domain.toUpperCase()}`)
    expect(redirect.origin + redirect.pathname).toBe(idp.ssoUrl)
    expect(redirect.searchParams.get('RelayState')).toMatch(/^[\w-]{40,}$/)
    await atIdp(redirect, `someone@${domain}`)
    expect(idp.lastRequest).toMatchObject({ acsUrl, issuer: spEntityId })
    expect(idp.lastRequest?.id).toMatch(/^_[0-9a-f]{40}$/)
    // Another domain has no connection: Clerk's error, nothing started.
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier: 'someone@elsewhere.test',
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0].code).toBe('saml_connection_active_not_found')
  })

  it('first sign-in: transfer to a sign-up, a user with the asserted verified email; again: the same user', async () => {
    const email = `grace-${dialect}@${domain}`
    const before = await userCount()
    const first = await signInFlow(email)
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
    expect(await userCount()).toBe(before + 1)
    expect(await linkedCount()).toBe(1)

    const again = await signInFlow(email)
    expect(again.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    expect(again.client.sessions.map((s: { user: { id: string } }) => s.user.id)).toEqual([userId])
    expect(await userCount()).toBe(before + 1)
  })

  it('identifier first: the domain offers enterprise_sso only; prepare_first_factor goes to the IdP', async () => {
    const env = (await fetchJson(`${server.url}/v1/environment`)).json
    expect(env.user_settings.enterprise_sso).toEqual({ enabled: true })
    // No user yet: Clerk's `needs_identifier`, offering the connection (clerk-js redirects).
    const email = `identifier-first-${dialect}@${domain}`
    const b = new BrowserClient(server.url, server.url)
    const created = await b.request('POST', '/v1/client/sign_ins', { identifier: email })
    expect(created.status, JSON.stringify(created.json)).toBe(200)
    expect(created.json.response).toMatchObject({
      status: 'needs_identifier',
      identifier: email,
      supported_first_factors: [{ strategy: 'enterprise_sso' }],
    })
    const id = created.json.response.id as string
    const prepared = await b.request('POST', `/v1/client/sign_ins/${id}/prepare_first_factor`, {
      strategy: 'enterprise_sso',
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(prepared.status, JSON.stringify(prepared.json)).toBe(200)
    expect(prepared.json.response.status).toBe('needs_first_factor')
    const v = prepared.json.response.first_factor_verification
    expect(v).toMatchObject({ status: 'unverified', strategy: 'enterprise_sso' })
    const redirect = new URL(v.external_verification_redirect_url)
    expect(redirect.origin + redirect.pathname).toBe(idp.ssoUrl)
    const acs = await post(await atIdp(redirect, email))
    expect(acs.status, JSON.stringify(acs.json)).toBe(303)
    const next = new URL(acs.location ?? '')
    await b.send('GET', next.pathname + next.search)
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response).toMatchObject({ status: 'complete', email_address: email })

    // A user of the domain with a password: still only the IdP (no password asked).
    const withPassword = `password-${dialect}@${domain}`
    await clerk().users.createUser({
      emailAddress: [withPassword],
      password: 'correct horse battery staple 9',
    })
    const known = await new BrowserClient(server.url, server.url).request(
      'POST',
      '/v1/client/sign_ins',
      {
        identifier: withPassword,
      },
    )
    expect(known.json.response).toMatchObject({
      status: 'needs_first_factor',
      supported_first_factors: [{ strategy: 'enterprise_sso' }],
    })
    // Another domain: the usual factors, and an unknown address there is still not found.
    const elsewhere = `someone-${dialect}@elsewhere.test`
    await clerk().users.createUser({
      emailAddress: [elsewhere],
      password: 'correct horse battery staple 9',
    })
    const pb = new BrowserClient(server.url, server.url)
    const plain = await pb.request('POST', '/v1/client/sign_ins', {
      identifier: elsewhere,
    })
    expect(
      plain.json.response.supported_first_factors.map((f: { strategy: string }) => f.strategy),
    ).not.toContain('enterprise_sso')
    const unknown = await new BrowserClient(server.url, server.url).request(
      'POST',
      '/v1/client/sign_ins',
      {
        identifier: `nobody-${dialect}@elsewhere.test`,
      },
    )
    expect(unknown.json.errors[0].code).toBe('form_identifier_not_found')
    // prepare_first_factor with enterprise_sso where no connection covers the identifier: refused.
    const pid = plain.json.response.id as string
    const refused = await pb.request('POST', `/v1/client/sign_ins/${pid}/prepare_first_factor`, {
      strategy: 'enterprise_sso',
    })
    expect(refused.status).toBe(422)
    expect(refused.json.errors[0].code).toBe('saml_connection_active_not_found')
  })

  it('links an existing user whose address is verified here: signed in, no new user', async () => {
    const email = `existing-${dialect}@${domain}`
    const existing = await clerk().users.createUser({ emailAddress: [email] })
    expect(existing.emailAddresses[0]?.verification?.status).toBe('verified')
    const users = await userCount()
    const linked = await linkedCount()
    const s = await signInFlow(email)
    expect(s.back).toMatchObject({ status: 303, location: `${server.url}/done` })
    expect(s.client.sessions.map((x: { user: { id: string } }) => x.user.id)).toEqual([existing.id])
    expect(await userCount()).toBe(users)
    expect(await linkedCount()).toBe(linked + 1)
  })

  it('refuses a replayed response: the same POST twice, and the same response for another request', async () => {
    const email = `replay-${dialect}@${domain}`
    const first = await signInFlow(email)
    expect(first.back.status).toBe(303)
    const again = await post(first.form)
    expect(again.status).toBe(400)
    expect(again.json.errors[0].code).toBe('saml_response_invalid')
    const s = await start(email)
    await atIdp(s.redirect, email)
    const other = await post({ ...first.form, RelayState: idp.lastRequest?.relayState ?? '' })
    expect(other.status).toBe(400)
    expect(other.json.errors[0].code).toBe('saml_response_invalid')
  })

  // Each refusal names its reason, so none passes for another one.
  const refusals: [string, Partial<ResponseOptions>, string, RegExp][] = [
    ['an unsigned assertion', { sign: 'none' }, 'saml_response_invalid', /Invalid signature/],
    [
      'a signed response around an unsigned assertion',
      { sign: 'response' },
      'saml_response_invalid',
      /Invalid signature/,
    ],
    [
      'an assertion signed by another key',
      { key: other.key, cert: other.cert },
      'saml_response_invalid',
      /Invalid signature/,
    ],
    [
      'a wrong audience',
      { audience: 'https://evil.example/sp' },
      'saml_response_invalid',
      /audience mismatch/,
    ],
    [
      'a wrong recipient',
      { recipient: 'https://evil.example/acs' },
      'saml_response_invalid',
      /Recipient/,
    ],
    [
      'a wrong destination',
      { destination: 'https://evil.example/acs' },
      'saml_response_invalid',
      /Destination/,
    ],
    [
      'an expired assertion',
      { validForMs: -5 * 60_000 },
      'saml_response_invalid',
      /expired|no valid subject confirmation/i,
    ],
    [
      'an InResponseTo of another request',
      { inResponseTo: '_0123456789abcdef' },
      'saml_response_invalid',
      /InResponseTo/,
    ],
    [
      'an email outside the domains',
      { email: 'mallory@evil.test' },
      'saml_email_address_domain_mismatch',
      /./,
    ],
  ]
  it.each(refusals)(
    'refuses %s with a Clerk error; nothing linked or created',
    async (_, bend, code, why) => {
      const users = await userCount()
      const linked = await linkedCount()
      const s = await bent(bend)
      const r = await post(s.form)
      expect(r.status).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect(r.json.errors[0]).toMatchObject({ code, long_message: expect.stringMatching(why) })
      const client = (await s.b.request('GET', '/v1/client')).json.response
      expect(client.sessions).toEqual([])
      expect(client.sign_in.first_factor_verification.status).toBe('unverified')
      const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
      expect(up.status).toBe(422)
      expect(await userCount()).toBe(users)
      expect(await linkedCount()).toBe(linked)
    },
  )

  it('refuses an IdP-initiated response when the connection does not allow it', async () => {
    const users = await userCount()
    const SAMLResponse = idp.response({
      email: `idp-${dialect}@${domain}`,
      acsUrl,
      audience: spEntityId,
    })
    const r = await post({ SAMLResponse })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('saml_idp_initiated_not_allowed')
    expect(await userCount()).toBe(users)
  })

  it('Backend API: list, read, update by metadata, delete (Clerk shapes)', async () => {
    const c = clerk().samlConnections
    const list = await c.getSamlConnectionList()
    expect(list.data.map((x) => x.id)).toContain(connectionId)
    const made = await c.createSamlConnection({
      name: 'By metadata',
      provider: 'saml_okta',
      domain: `meta-${dialect}.test`,
      idpMetadata: idp.metadata(),
    })
    expect(made).toMatchObject({
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      provider: 'saml_okta',
      domain: `meta-${dialect}.test`,
      spMetadataUrl: `${server.url}/v1/saml/metadata/${made.id}.xml`,
    })
    const taken = await bapi('POST', '/v1/saml_connections', {
      name: 'Dup',
      provider: 'saml_custom',
      domains: [domain],
    })
    expect(taken.status).toBe(422)
    expect(taken.json.errors[0].code).toBe('form_identifier_exists')
    const bad = await bapi('POST', '/v1/saml_connections', {
      name: 'Bad',
      provider: 'saml_custom',
      domains: ['x.test'],
      idp_certificate: 'not a certificate',
    })
    expect(bad.status).toBe(422)
    await c.deleteSamlConnection(made.id)
    expect((await bapi('GET', `/v1/saml_connections/${made.id}`)).status).toBe(404)
  })
})
