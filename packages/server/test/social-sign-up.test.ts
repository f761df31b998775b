import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { codeFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { type UpstreamAccount, UpstreamIdp } from './helpers/upstream-idp.js'

const STRATEGY = 'oauth_custom_acme'

// Issue #18 item 2: a sign-up that starts at the provider (Clerk's SignUp "Continue with …"),
// Clerk's transfer from sign-up to sign-in when the account exists, and `missing_requirements`
// when the provider gives too little (no address), completed with PATCH.
describe.each(DIALECTS)('sign-up with an OpenID Connect provider (%s)', (dialect) => {
  let server: TestServer
  let idp: UpstreamIdp
  let smtp: TestSmtpServer
  let n = 0

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, { verifyEmailAtSignUp: true, smtpUrl: smtp.url })
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    const made = await fetchJson(`${server.url}/v1/oauth_connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        provider: 'custom_acme',
        issuer: idp.issuer,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      }),
    })
    expect(made.status).toBe(200)
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
    await smtp?.close()
  })

  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })

  /** A browser starts a sign-up at the provider, signs in there as a new account, comes back. */
  async function signUpAt(claims: UpstreamAccount) {
    const sub = `up-${dialect}-${++n}`
    idp.accounts.set(sub, { given_name: 'Grace', family_name: 'Hopper', ...claims })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ups', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status).toBe(200)
    expect(r.json.response).toMatchObject({
      status: 'missing_requirements',
      unverified_fields: ['external_account'],
      verifications: { external_account: { object: 'verification_oauth', status: 'unverified' } },
    })
    const authorize = r.json.response.verifications.external_account
      .external_verification_redirect_url as string
    idp.signInAs = sub
    const back = new URL((await new BrowserAgent(idp.issuer).goto(authorize)).url)
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(303)
    const client = (await b.request('GET', '/v1/client')).json.response
    return { b, sub, location: res.headers.get('location'), client }
  }

  it('a new account: the sign-up completes at the callback, the address verified', async () => {
    const email = `fresh-${dialect}@example.com`
    const { location, client } = await signUpAt({ email, email_verified: true })
    expect(location).toBe(`${server.url}/done`)
    expect(client.sign_up).toMatchObject({
      status: 'complete',
      email_address: email,
      verifications: { external_account: { status: 'verified', strategy: STRATEGY } },
    })
    expect(client.sessions).toHaveLength(1)
    const user = await clerk().users.getUser(client.sign_up.created_user_id)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect(user.externalAccounts).toHaveLength(1)
  })

  it('an account that exists: transferable (external_account_exists), then sign-in transfer', async () => {
    const email = `again-${dialect}@example.com`
    const first = await signUpAt({ email, email_verified: true })
    const userId = first.client.sign_up.created_user_id as string
    // The same provider account signs up again, in another browser.
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ups', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
    })
    idp.signInAs = first.sub
    const authorize = r.json.response.verifications.external_account
      .external_verification_redirect_url as string
    const back = new URL((await new BrowserAgent(idp.issuer).goto(authorize)).url)
    expect((await b.send('GET', back.pathname + back.search)).headers.get('location')).toBe(
      `${server.url}/sso-callback`,
    )
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client.sign_up.verifications.external_account).toMatchObject({
      status: 'transferable',
      error: { code: 'external_account_exists' },
    })
    expect(client.sessions).toEqual([])
    const si = await b.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
    expect(si.status).toBe(200)
    expect(si.json.response.status).toBe('complete')
    expect(si.json.client.sessions[0].user.id).toBe(userId)
    // One transfer per answer.
    const again = await b.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
    expect(again.status).toBe(422)
    expect(again.json.errors[0].code).toBe('external_account_not_found')
    expect(await clerk().users.getCount()).toBeGreaterThan(0)
  })

  it('a provider that gives no address: missing_requirements, then PATCH and the code', async () => {
    const { b, client } = await signUpAt({})
    expect(client.sign_up).toMatchObject({
      status: 'missing_requirements',
      missing_fields: ['email_address'],
      unverified_fields: [],
    })
    expect(client.sessions).toEqual([])
    const id = client.sign_up.id as string
    const email = `typed-${dialect}@example.com`
    const patched = await b.request('POST', `/v1/client/sign_ups/${id}?_method=PATCH`, {
      email_address: email,
    })
    expect(patched.status).toBe(200)
    expect(patched.json.response).toMatchObject({
      status: 'missing_requirements',
      email_address: email,
      missing_fields: [],
      unverified_fields: ['email_address'],
    })
    const at = smtp.messages.length
    const prep = await b.request('POST', `/v1/client/sign_ups/${id}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(prep.status).toBe(200)
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await b.request('POST', `/v1/client/sign_ups/${id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response.status).toBe('complete')
    const user = await clerk().users.getUser(done.json.response.created_user_id)
    expect(user.emailAddresses[0]?.verification?.status).toBe('verified')
    expect(user.externalAccounts).toHaveLength(1)
  })

  /** The mailed code proves the sign-up's address; the user comes with its external account. */
  async function proveByCode(b: BrowserClient, id: string, email: string) {
    const at = smtp.messages.length
    const prep = await b.request('POST', `/v1/client/sign_ups/${id}/prepare_verification`, {
      strategy: 'email_code',
    })
    expect(prep.status).toBe(200)
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await b.request('POST', `/v1/client/sign_ups/${id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response.status).toBe('complete')
    return clerk().users.getUser(done.json.response.created_user_id)
  }

  it('an address the provider did not verify creates nobody until its code is proved', async () => {
    // A user created with the provider's unproved address would hold it: its real owner could
    // later prove it by email code into the account the provider's holder signs in to.
    const email = `unproved-${dialect}@example.com`
    const { b, client } = await signUpAt({ email, email_verified: false })
    expect(client.sign_up).toMatchObject({
      status: 'missing_requirements',
      email_address: email,
      missing_fields: [],
      unverified_fields: ['email_address'],
    })
    expect(client.sessions).toEqual([])
    expect((await clerk().users.getUserList({ emailAddress: [email] })).data).toEqual([])
    const user = await proveByCode(b, client.sign_up.id as string, email)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect(user.externalAccounts).toHaveLength(1)
  })

  it('a sign-in transfer with an unverified provider address waits for the code too', async () => {
    const sub = `unproved-in-${dialect}-${++n}`
    const email = `unproved-in-${dialect}@example.com`
    idp.accounts.set(sub, { email, email_verified: false })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
    })
    idp.signInAs = sub
    const authorize = r.json.response.first_factor_verification.external_verification_redirect_url
    const back = new URL((await new BrowserAgent(idp.issuer).goto(authorize)).url)
    expect((await b.send('GET', back.pathname + back.search)).status).toBe(303)
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status).toBe(200)
    expect(up.json.response).toMatchObject({
      status: 'missing_requirements',
      email_address: email,
      unverified_fields: ['email_address'],
    })
    expect(up.json.client.sessions).toEqual([])
    expect((await clerk().users.getUserList({ emailAddress: [email] })).data).toEqual([])
    const user = await proveByCode(b, up.json.response.id as string, email)
    expect(user.externalAccounts).toHaveLength(1)
  })

  it('a sign-in whose provider gives no address: transfer, missing_requirements, PATCH', async () => {
    const sub = `in-${dialect}-${++n}`
    idp.accounts.set(sub, { given_name: 'Alan' })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
    })
    idp.signInAs = sub
    const authorize = r.json.response.first_factor_verification.external_verification_redirect_url
    const back = new URL((await new BrowserAgent(idp.issuer).goto(authorize)).url)
    expect((await b.send('GET', back.pathname + back.search)).status).toBe(303)
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.status).toBe(200)
    expect(up.json.response).toMatchObject({
      status: 'missing_requirements',
      missing_fields: ['email_address'],
      first_name: 'Alan',
    })
    expect(up.json.client.sessions).toEqual([])
    // The answer moved to the sign-up: no second transfer.
    const twice = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(twice.json.errors[0].code).toBe('external_account_not_found')
    const id = up.json.response.id as string
    const email = `alan-${dialect}@example.com`
    const patched = await b.request('POST', `/v1/client/sign_ups/${id}?_method=PATCH`, {
      email_address: email,
    })
    expect(patched.json.response.unverified_fields).toEqual(['email_address'])
    const at = smtp.messages.length
    await b.request('POST', `/v1/client/sign_ups/${id}/prepare_verification`, {
      strategy: 'email_code',
    })
    const code = codeFrom(await smtp.waitForMail(email, { after: at }))
    const done = await b.request('POST', `/v1/client/sign_ups/${id}/attempt_verification`, {
      strategy: 'email_code',
      code,
    })
    expect(done.json.response.status).toBe('complete')
    const user = await clerk().users.getUser(done.json.response.created_user_id)
    expect(user.externalAccounts).toHaveLength(1)
    expect(user.firstName).toBe('Alan')
  })

  it('PATCH of a sign-up no provider answered is refused', async () => {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ups', {
      strategy: STRATEGY,
      redirect_url: `${server.url}/sso-callback`,
    })
    const patched = await b.request(
      'POST',
      `/v1/client/sign_ups/${r.json.response.id}?_method=PATCH`,
      { email_address: `nobody-${dialect}@example.com` },
    )
    expect(patched.status).toBe(422)
    expect(patched.json.errors[0].code).toBe('external_account_not_found')
  })
})
