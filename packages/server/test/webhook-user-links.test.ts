import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import type { BrowserClient, Json } from './helpers/browser-client.js'
import { SamlIdp } from './helpers/saml-idp.js'
import { DIALECTS } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'
import { PASSWORD, userUpdatesSuite } from './helpers/user-updates.js'

const ACME = 'oauth_custom_acme'

/*
 * Issue #19: an external account linked to a user — at an OAuth or SAML sign-in, by a transfer,
 * or from the profile — and one disconnected, each reach the app as exactly one `user.updated`
 * in the link's own write, through the routes users take against real IdPs on loopback; an
 * OAuth sign-up's `user.created` carries its account. A sign-in through a linked account emits
 * none (docs/WEBHOOKS.md). Each delivery is verified with `svix`'s `Webhook.verify`.
 */
describe.each(DIALECTS)('user.updated for linked accounts (%s)', (dialect) => {
  const h = userUpdatesSuite(dialect)
  let idp: UpstreamIdp
  let saml: SamlIdp
  let acsUrl = ''
  const domain = `acme-${dialect}.test`

  beforeAll(async () => {
    const server = h.server
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await h.bapi('POST', '/v1/oauth_connections', {
      provider: 'custom_acme',
      issuer: idp.issuer,
      client_id: idp.clientId,
      client_secret: idp.clientSecret,
    })
    expect(made.status).toBe(200)
    saml = await SamlIdp.start()
    const connection = await h.clerk().samlConnections.createSamlConnection({
      name: 'Acme Okta',
      provider: 'saml_custom',
      domain,
      idpEntityId: saml.entityId,
      idpSsoUrl: saml.ssoUrl,
      idpCertificate: saml.cert,
    })
    await h.clerk().samlConnections.updateSamlConnection(connection.id, { active: true })
    acsUrl = connection.acsUrl
  })
  afterAll(async () => {
    await idp?.close()
    await saml?.close()
  })

  /** The person at the provider as `sub`, then back to Latchkey in `b`. */
  async function throughProvider(b: BrowserClient, redirect: string, sub: string) {
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(redirect)
    const back = new URL(page.url)
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(303)
    return res.headers.get('location')
  }
  async function oauthSignIn(sub: string, b = h.browser()) {
    const r = await b.post('/v1/client/sign_ins', {
      strategy: ACME,
      redirect_url: `${h.server.url}/sso-callback`,
    })
    expect(r.status).toBe(200)
    await throughProvider(
      b,
      r.json.response.first_factor_verification.external_verification_redirect_url,
      sub,
    )
    return b
  }
  function providerAccount(email: string) {
    const sub = `acct-${dialect}-${h.next()}`
    idp.accounts.set(sub, { email, email_verified: true, given_name: 'Ada' })
    return sub
  }

  it('an account linked at OAuth sign-in: one user.updated with it; signing in through it again emits none', async () => {
    const email = `linked-${dialect}-${h.next()}@example.com`
    const user = await h.clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    expect(h.types(await h.delivered())).toEqual(['user.created'])
    const sub = providerAccount(email)
    const b = await oauthSignIn(sub)
    expect((await b.get('/v1/client')).json.response.sessions[0].user.id).toBe(user.id)
    const data = await h.oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toMatchObject([{ provider: ACME, provider_user_id: sub }])
    // Linked: the provider's new tokens are the sign-in's, nothing the app syncs.
    h.clock().advance(1000)
    await oauthSignIn(sub)
    expect(h.types(await h.delivered())).toEqual(['session.created'])
  })

  it('an account linked at enterprise SSO (SAML) sign-in: one user.updated; again: none', async () => {
    const email = `saml-${h.next()}@${domain}`
    const user = await h.clerk().users.createUser({ emailAddress: [email] })
    expect(h.types(await h.delivered())).toEqual(['user.created'])
    const samlSignIn = async () => {
      const b = h.browser()
      const r = await b.post('/v1/client/sign_ins', {
        strategy: 'enterprise_sso',
        identifier: email,
        redirect_url: `${h.server.url}/sso-callback`,
        action_complete_redirect_url: `${h.server.url}/done`,
      })
      expect(r.status, JSON.stringify(r.json)).toBe(200)
      saml.signInAs = { email, firstName: 'Grace', lastName: 'Hopper' }
      const page = await fetch(
        r.json.response.first_factor_verification.external_verification_redirect_url,
      )
      const form = (await page.json()) as { SAMLResponse: string; RelayState: string }
      const acs = await fetch(acsUrl, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      })
      expect(acs.status).toBe(303)
      const next = new URL(acs.headers.get('location') ?? '')
      const back = await b.send('GET', next.pathname + next.search)
      expect(back.headers.get('location')).toBe(`${h.server.url}/done`)
    }
    await samlSignIn()
    const data = await h.oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toHaveLength(1)
    h.clock().advance(1000)
    await samlSignIn()
    expect(h.types(await h.delivered())).toEqual(['session.created'])
  })

  it("an OAuth sign-up's user.created carries the account; a transfer sign-in that links emits user.updated", async () => {
    const email = `fresh-${dialect}-${h.next()}@example.com`
    const b = await oauthSignIn(providerAccount(email))
    const up = await b.post('/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response.status).toBe('complete')
    const userId = up.json.response.created_user_id as string
    const events = await h.delivered()
    expect(h.types(events)).toEqual(['session.created', 'user.created'])
    const created = events.find((e) => e.type === 'user.created')?.data
    expect(created).toEqual(await h.apiUser(userId))
    expect(created.external_accounts).toHaveLength(1)

    // A sign-up started at the provider whose account may be linked to an existing user: the
    // app transfers to a sign-in, which links it.
    const existing = `existing-${dialect}-${h.next()}@example.com`
    const user = await h.clerk().users.createUser({ emailAddress: [existing], password: PASSWORD })
    await h.delivered()
    const s = h.browser()
    const started = await s.post('/v1/client/sign_ups', {
      strategy: ACME,
      redirect_url: `${h.server.url}/sso-callback`,
    })
    expect(started.status).toBe(200)
    await throughProvider(
      s,
      started.json.response.verifications.external_account.external_verification_redirect_url,
      providerAccount(existing),
    )
    expect(await h.delivered()).toEqual([])
    const signIn = await s.post('/v1/client/sign_ins', { transfer: 'true' })
    expect(signIn.json.response?.status, JSON.stringify(signIn.json)).toBe('complete')
    const data = await h.oneUpdate(user.id, ['session.created'])
    expect(data.external_accounts).toHaveLength(1)
  })

  it('connect from the profile and disconnect (Frontend and Backend API): one user.updated each; a refused connect none', async () => {
    const { b, userId } = await h.signedUp()
    const connect = async (sub: string) => {
      const r = await b.post('/v1/me/external_accounts', {
        strategy: ACME,
        redirect_url: `${h.server.url}/profile`,
      })
      expect(r.status).toBe(200)
      return throughProvider(
        b,
        r.json.response.verification.external_verification_redirect_url,
        sub,
      )
    }
    expect(await connect(providerAccount(`elsewhere-${h.next()}@example.net`))).toBe(
      `${h.server.url}/profile`,
    )
    const linked = await h.oneUpdate(userId)
    expect(linked.external_accounts).toHaveLength(1)
    const second = await connect(providerAccount(`elsewhere-${h.next()}@example.net`))
    expect(second).toBe(`${h.server.url}/profile`)
    const both = (await h.oneUpdate(userId)).external_accounts as Json[]
    expect(both).toHaveLength(2)

    const off = await b.post(`/v1/me/external_accounts/${both[0].id}?_method=DELETE`)
    expect(off.status).toBe(200)
    expect((await h.oneUpdate(userId)).external_accounts).toHaveLength(1)
    const del = await h.bapi('DELETE', `/v1/users/${userId}/external_accounts/${both[1].id}`)
    expect(del.status).toBe(200)
    expect((await h.oneUpdate(userId)).external_accounts).toEqual([])

    // Another user's provider account: refused, nothing linked, nothing emitted.
    const other = await h.signedUp()
    const taken = providerAccount(`taken-${h.next()}@example.net`)
    await connect(taken)
    await h.delivered()
    const r = await other.b.post('/v1/me/external_accounts', {
      strategy: ACME,
      redirect_url: `${h.server.url}/profile`,
    })
    const refused = await throughProvider(
      other.b,
      r.json.response.verification.external_verification_redirect_url,
      taken,
    )
    expect(refused).toContain('latchkey_error=external_account_exists')
    expect(await h.delivered()).toEqual([])
  })
})
