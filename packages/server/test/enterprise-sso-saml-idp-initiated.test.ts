import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { type ResponseOptions, SamlIdp } from './helpers/saml-idp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #18 item 4, "IdP-initiated sign-in only when enabled": an unsolicited SAML response
// from a real IdP on loopback (xml-crypto signatures) is validated at the ACS, handed over by
// a 303 with a one-time token (bound to the posting browser by a cookie) to a GET that signs
// the browser's client in. Every refusal is a Clerk error that signs in and creates nothing.
describe.each(DIALECTS)('IdP-initiated SAML sign-in (%s)', (dialect) => {
  let server: TestServer
  let idp: SamlIdp
  let connectionId = ''
  let acsUrl = ''
  let spEntityId = ''
  let n = 0
  const domain = `idpinit-${dialect}.test`
  const app = 'http://app.idpinit.test'

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: app } })
    idp = await SamlIdp.start()
    const made = await clerk().samlConnections.createSamlConnection({
      name: 'Acme',
      provider: 'saml_custom',
      domain,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCertificate: idp.cert,
    })
    await clerk().samlConnections.updateSamlConnection(made.id, { active: true })
    connectionId = made.id
    acsUrl = made.acsUrl
    spEntityId = made.spEntityId
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
  })

  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const bapi = (method: string, path: string, body?: unknown) =>
    fetchJson(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const allow = async (on: boolean) => {
    const r = await bapi('PATCH', `/v1/saml_connections/${connectionId}`, {
      allow_idp_initiated: on,
    })
    expect(r.status).toBe(200)
    expect(r.json.allow_idp_initiated).toBe(on)
  }
  const userCount = async () => (await bapi('GET', '/v1/users/count')).json.total_count as number
  const linkedCount = async () =>
    (await clerk().samlConnections.getSamlConnection(connectionId)).userCount
  const flowCount = async () => (await server.snapshot()).oauth_flows

  /** An unsolicited response (no InResponseTo), as the IdP's dashboard would post it. */
  const unsolicited = (email: string, bend: Partial<ResponseOptions> = {}) =>
    idp.response({
      email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      acsUrl,
      audience: spEntityId,
      ...bend,
    })

  /** The IdP's auto-posting form submits through browser `b` (cross-site: the IdP's origin). */
  async function post(b: BrowserClient, form: { SAMLResponse: string; RelayState?: string }) {
    const res = await b.send('POST', new URL(acsUrl).pathname, form, new URL(idp.ssoUrl).origin)
    const text = await res.text()
    return {
      status: res.status,
      location: res.headers.get('location'),
      json: text && !text.startsWith('<') ? JSON.parse(text) : undefined,
    }
  }

  /** Browser `b` follows the ACS's 303 to the hand-over GET. */
  async function follow(b: BrowserClient, location: string | null) {
    const to = new URL(location ?? '')
    expect(to.origin + to.pathname).toBe(`${server.url}/v1/saml/idp_initiated`)
    expect([...to.searchParams.keys()]).toEqual(['token'])
    const res = await b.send('GET', to.pathname + to.search)
    const text = await res.text()
    return {
      status: res.status,
      location: res.headers.get('location'),
      json: text ? JSON.parse(text) : undefined,
    }
  }

  /** A browser whose client exists: it started an SP-initiated sign-in it did not finish. */
  async function withClient() {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier: `someone@${domain}`,
      redirect_url: `${server.url}/sso-callback`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    expect(b.cookies.has('__client')).toBe(true)
    return b
  }

  const sessionsOf = async (b: BrowserClient) =>
    ((await b.request('GET', '/v1/client')).json.response?.sessions ?? []).map(
      (s: { user: { id: string } }) => s.user.id,
    ) as string[]

  it('refused while the connection does not allow it: saml_idp_initiated_not_allowed', async () => {
    await allow(false)
    const users = await userCount()
    const flows = await flowCount()
    const b = new BrowserClient(server.url, server.url)
    const r = await post(b, { SAMLResponse: unsolicited(`off-${dialect}@${domain}`) })
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('saml_idp_initiated_not_allowed')
    expect(await userCount()).toBe(users)
    expect(await flowCount()).toBe(flows)
    expect(b.cookies.size).toBe(0)
  })

  it('allowed: a new user is created with the asserted address, verified, and signed in', async () => {
    await allow(true)
    const email = `ada-${dialect}@${domain}`
    const users = await userCount()
    const b = new BrowserClient(server.url, server.url)
    const SAMLResponse = unsolicited(email)
    const acs = await post(b, { SAMLResponse })
    expect(acs.status, JSON.stringify(acs.json)).toBe(303)
    expect([...b.cookies.keys()]).toEqual(['latchkey_saml_handover'])
    const done = await follow(b, acs.location)
    expect(done.status, JSON.stringify(done.json)).toBe(303)
    expect(done.location).toBe(`${server.url}/`)
    expect(b.cookies.has('__client')).toBe(true)
    expect(b.cookies.has('latchkey_saml_handover')).toBe(false)
    const [userId] = await sessionsOf(b)
    expect(userId).toMatch(/^user_/)
    const user = await clerk().users.getUser(userId ?? '')
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect([user.firstName, user.lastName]).toEqual(['Ada', 'Lovelace'])
    expect(await linkedCount()).toBeGreaterThanOrEqual(1)
    expect(await userCount()).toBe(users + 1)

    // The same response posted again: a replay, refused; nothing handed over.
    const other = new BrowserClient(server.url, server.url)
    const again = await post(other, { SAMLResponse })
    expect(again.status).toBe(400)
    expect(again.json.errors[0]).toMatchObject({
      code: 'saml_response_invalid',
      long_message: expect.stringMatching(/presented before/),
    })
    expect(other.cookies.size).toBe(0)

    // A second IdP-initiated sign-in (a new assertion) signs the same user in, no new user.
    const c = new BrowserClient(server.url, server.url)
    const next = await follow(c, (await post(c, { SAMLResponse: unsolicited(email) })).location)
    expect(next.status).toBe(303)
    expect(await sessionsOf(c)).toEqual([userId])
    expect(await userCount()).toBe(users + 1)
  })

  it('the hand-over token is single-use: the second GET is refused, even with the cookie', async () => {
    const b = new BrowserClient(server.url, server.url)
    const acs = await post(b, { SAMLResponse: unsolicited(`once-${dialect}@${domain}`) })
    const binding = b.cookies.get('latchkey_saml_handover') ?? ''
    expect(binding).not.toBe('')
    expect((await follow(b, acs.location)).status).toBe(303)
    const users = await userCount()
    const replay = new BrowserClient(server.url, server.url)
    replay.cookies.set('latchkey_saml_handover', binding)
    const second = await follow(replay, acs.location)
    expect(second.status).toBe(400)
    expect(second.json.errors[0].code).toBe('verification_already_verified')
    expect(await sessionsOf(replay)).toEqual([])
    expect(await userCount()).toBe(users)
  })

  it('a token from one browser is refused in another; the browser it was handed to still signs in', async () => {
    const email = `moved-${dialect}@${domain}`
    const a = new BrowserClient(server.url, server.url)
    const acs = await post(a, { SAMLResponse: unsolicited(email) })
    expect(acs.status).toBe(303)
    // Another browser with its own client (a sign-in it started) gets the URL (history, logs).
    const b = await withClient()
    const users = await userCount()
    const stolen = await follow(b, acs.location)
    expect(stolen.status).toBe(400)
    expect(stolen.json.errors[0].code).toBe('verification_client_mismatch')
    expect(await sessionsOf(b)).toEqual([])
    // Nor does the token pass for an SP-initiated flow's state at the OAuth callback.
    const token = new URL(acs.location ?? '').searchParams.get('token') ?? ''
    const asState = await b.request('GET', `/v1/oauth_callback?state=${token}`)
    expect(asState.status).toBe(400)
    expect(asState.json.errors[0].code).toBe('verification_client_mismatch')
    expect(await userCount()).toBe(users)
    // The refusal did not spend it: the browser the IdP posted through completes.
    const mine = await follow(a, acs.location)
    expect(mine.status).toBe(303)
    expect(await sessionsOf(a)).toHaveLength(1)
  })

  it('links an existing user whose address is verified here: signed in, no new user', async () => {
    const email = `existing-${dialect}@${domain}`
    const existing = await clerk().users.createUser({ emailAddress: [email] })
    const users = await userCount()
    const linked = await linkedCount()
    const b = new BrowserClient(server.url, server.url)
    const done = await follow(b, (await post(b, { SAMLResponse: unsolicited(email) })).location)
    expect(done.location).toBe(`${server.url}/`)
    expect(await sessionsOf(b)).toEqual([existing.id])
    expect(await userCount()).toBe(users)
    expect(await linkedCount()).toBe(linked + 1)
  })

  it('signs in on the browser’s existing client', async () => {
    const b = await withClient()
    const before = (await b.request('GET', '/v1/client')).json.response.id as string
    const acs = await post(b, { SAMLResponse: unsolicited(`client-${dialect}@${domain}`) })
    expect((await follow(b, acs.location)).status).toBe(303)
    const after = (await b.request('GET', '/v1/client')).json.response
    expect(after.id).toBe(before)
    expect(after.sessions).toHaveLength(1)
  })

  it('RelayState names the landing page only when it is an allowed redirect', async () => {
    const cases: [string | undefined, string][] = [
      [`${app}/dashboard?x=1`, `${app}/dashboard?x=1`],
      ['/account', `${server.url}/account`],
      ['https://evil.example/steal', `${server.url}/`],
      ['javascript:alert(1)', `${server.url}/`],
      ['some-opaque-idp-value', `${server.url}/`],
    ]
    for (const [RelayState, landing] of cases) {
      const b = new BrowserClient(server.url, server.url)
      const SAMLResponse = unsolicited(`relay-${++n}-${dialect}@${domain}`)
      const acs = await post(b, { SAMLResponse, ...(RelayState ? { RelayState } : {}) })
      expect(acs.status, JSON.stringify(acs.json)).toBe(303)
      const done = await follow(b, acs.location)
      expect([RelayState, done.location]).toEqual([RelayState, landing])
    }
  })

  const refusals: [string, Partial<ResponseOptions>, RegExp][] = [
    ['another audience', { audience: 'https://evil.example/sp' }, /audience mismatch/],
    ['another recipient', { recipient: 'https://evil.example/acs' }, /Recipient/],
    ['another destination', { destination: 'https://evil.example/acs' }, /Destination/],
    ['an InResponseTo (not unsolicited)', { inResponseTo: '_0123456789abcdef' }, /InResponseTo/],
    ['an unsigned assertion', { sign: 'none' }, /Invalid signature/],
    ['an expired assertion', { validForMs: -5 * 60_000 }, /expired|no valid subject/i],
  ]
  it.each(refusals)('refuses %s: nothing handed over or created', async (_, bend, why) => {
    await allow(true)
    const users = await userCount()
    const flows = await flowCount()
    const b = new BrowserClient(server.url, server.url)
    const r = await post(b, { SAMLResponse: unsolicited(`bent-${++n}-${dialect}@${domain}`, bend) })
    expect(r.status).toBe(400)
    expect(r.json.errors[0]).toMatchObject({
      code: 'saml_response_invalid',
      long_message: expect.stringMatching(why),
    })
    expect(b.cookies.size).toBe(0)
    expect(await flowCount()).toBe(flows)
    expect(await userCount()).toBe(users)
  })

  it('refuses an InResponseTo on the SubjectConfirmationData alone (node-saml reads it only beside one on the Response)', async () => {
    const flows = await flowCount()
    const signed = unsolicited(`subject-irt-${dialect}@${domain}`, {
      inResponseTo: '_0123456789abcdef',
    })
    // The Response element is outside the assertion's signature: its InResponseTo can be dropped.
    const xml = Buffer.from(signed, 'base64').toString('utf8')
    const stripped = xml.replace(/(<samlp:Response\b[^>]*?) InResponseTo="[^"]*"/, '$1')
    expect(stripped).not.toBe(xml)
    expect(stripped).toContain('SubjectConfirmationData InResponseTo=')
    const b = new BrowserClient(server.url, server.url)
    const r = await post(b, { SAMLResponse: Buffer.from(stripped).toString('base64') })
    expect(r.status).toBe(400)
    expect(r.json.errors[0]).toMatchObject({
      code: 'saml_response_invalid',
      long_message: expect.stringMatching(/InResponseTo in an unsolicited response/),
    })
    expect(await flowCount()).toBe(flows)
  })

  it('an address outside the connection’s domains is refused', async () => {
    const users = await userCount()
    const b = new BrowserClient(server.url, server.url)
    const r = await post(b, { SAMLResponse: unsolicited('mallory@evil.test') })
    expect(r.json.errors[0].code).toBe('saml_email_address_domain_mismatch')
    expect(await userCount()).toBe(users)
  })

  it('a hand-over made while allowed is refused once the connection no longer allows it', async () => {
    await allow(true)
    const users = await userCount()
    const b = new BrowserClient(server.url, server.url)
    const acs = await post(b, { SAMLResponse: unsolicited(`late-${dialect}@${domain}`) })
    await allow(false)
    const r = await follow(b, acs.location)
    expect(r.status).toBe(403)
    expect(r.json.errors[0].code).toBe('saml_idp_initiated_not_allowed')
    expect(await sessionsOf(b)).toEqual([])
    expect(await userCount()).toBe(users)
    await allow(true)
  })

  it('a forged or missing token: verification_missing', async () => {
    const b = new BrowserClient(server.url, server.url)
    for (const q of ['?token=forged', '', '?token=']) {
      const r = await b.request('GET', `/v1/saml/idp_initiated${q}`)
      expect(r.status).toBe(400)
      expect(r.json.errors[0].code).toBe('verification_missing')
    }
  })
})

// The hand-over lives 2 minutes: on a hand-moved clock, a GET after that is refused.
describe.each(DIALECTS)('IdP-initiated SAML hand-over expiry (%s)', (dialect) => {
  let server: TestServer
  let idp: SamlIdp
  let acsUrl = ''
  let spEntityId = ''
  const domain = `idpexp-${dialect}.test`

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
    idp = await SamlIdp.start()
    const r = await fetchJson(`${server.url}/v1/saml_connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Exp',
        provider: 'saml_custom',
        domains: [domain],
        idp_entity_id: idp.entityId,
        idp_sso_url: idp.ssoUrl,
        idp_certificate: idp.cert,
        active: true,
        allow_idp_initiated: true,
      }),
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    acsUrl = r.json.acs_url
    spEntityId = r.json.sp_entity_id
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
  })

  it('a token followed after 2 minutes: verification_expired, nobody signed in', async () => {
    const b = new BrowserClient(server.url, server.url)
    const SAMLResponse = idp.response({ email: `late@${domain}`, acsUrl, audience: spEntityId })
    const acs = await b.send('POST', new URL(acsUrl).pathname, { SAMLResponse })
    expect(acs.status).toBe(303)
    const to = new URL(acs.headers.get('location') ?? '')
    const clock = server.clock as { advance(ms: number): void }
    clock.advance(2 * 60_000 + 1)
    const r = await b.request('GET', to.pathname + to.search)
    expect(r.status).toBe(400)
    expect(r.json.errors[0].code).toBe('verification_expired')
    expect(b.cookies.has('__client')).toBe(false)
  })
})
