import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { codeFrom, linkFrom, startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

const PASSWORD = 'correct horse battery 9'

// The SSO-only rule of an enterprise connection is decided where a flow completes, not only
// where it starts: a sign-in or sign-up begun before its domain got an active connection
// (created, activated, or given the domain) and finished after it gets no session and creates
// no user (`strategy_for_user_invalid`). Each path has a control: without the connection, the
// same flow completes. The IdP's own completions keep working.
describe.each(DIALECTS)('enterprise SSO: a connection made mid-flow (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let corp: UpstreamIdp
  let social: UpstreamIdp
  let n = 0
  /** A domain of its own per test: each connection covers only its test's users. */
  const newDomain = () => `late-${dialect}-${++n}.test`

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      verifyEmailAtSignUp: true,
      fake: true,
    })
    corp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    social = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
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
    await smtp?.close()
  })

  function bapi(method: string, path: string, body?: unknown) {
    return fetchJson(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }
  const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const userCount = async () => (await bapi('GET', '/v1/users/count')).json.total_count as number
  const sessionCount = async (userId: string) =>
    (await clerk().sessions.getSessionList({ userId })).totalCount
  const clock = () => server.clock as { advance(ms: number): void }

  /**
   * Makes `domain` SSO-only through the Backend API, the three ways a domain becomes covered:
   * a new active connection, an inactive one activated, or an active one given the domain.
   */
  async function cover(domain: string, how: 'create' | 'activate' | 'add_domain' = 'create') {
    const oidc = {
      discovery_url: corp.issuer,
      client_id: corp.clientId,
      client_secret: corp.clientSecret,
    }
    const initial = how === 'add_domain' ? [`other-${domain}`] : [domain]
    const made = await bapi('POST', '/v1/enterprise_connections', {
      name: `Corp ${domain}`,
      provider: 'oidc_custom',
      domains: initial,
      active: how !== 'activate',
      oidc,
    })
    expect(made.status, JSON.stringify(made.json)).toBe(200)
    if (how === 'activate') {
      const u = await bapi('PATCH', `/v1/enterprise_connections/${made.json.id}`, { active: true })
      expect(u.status, JSON.stringify(u.json)).toBe(200)
    }
    if (how === 'add_domain') {
      const u = await bapi('PATCH', `/v1/enterprise_connections/${made.json.id}`, {
        domains: [...initial, domain],
      })
      expect(u.status, JSON.stringify(u.json)).toBe(200)
    }
    return made.json.id as string
  }

  const refused = (r: { status: number; json: Json }) => {
    expect(r.status, JSON.stringify(r.json)).toBe(422)
    expect(r.json.errors[0].code).toBe('strategy_for_user_invalid')
  }

  async function newUser(domain: string) {
    const email = `u${++n}@${domain}`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    return { email, userId: user.id }
  }

  async function begin(b: BrowserClient, identifier: string) {
    const r = await b.post('/v1/client/sign_ins', { identifier })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    expect(r.json.response.status).toBe('needs_first_factor')
    return r.json.response.id as string
  }

  async function prepare(b: BrowserClient, signInId: string, email: string, strategy: string) {
    const at = smtp.messages.length
    const p = await b.post(`/v1/client/sign_ins/${signInId}/prepare_first_factor`, {
      strategy,
      redirect_url: `${server.url}/after`,
    })
    expect(p.status, JSON.stringify(p.json)).toBe(200)
    return smtp.waitForMail(email, { after: at })
  }

  async function openLink(b: BrowserClient, link: string) {
    const url = new URL(link)
    const opened = await b.send('GET', url.pathname + url.search)
    expect(opened.status).toBe(303)
    return new URL(opened.headers.get('location') ?? '').searchParams.get('__clerk_status')
  }

  /** The browser's client: its sessions, and the sign-in still waiting (or null). */
  async function clientOf(b: BrowserClient) {
    return (await b.get('/v1/client')).json.response
  }

  // 1. email_link sign-in completed by opening the link.
  for (const late of [true, false]) {
    it(`email_link sign-in: the link opened ${late ? 'after the connection: refused' : 'with no connection: signs in'}`, async () => {
      const domain = newDomain()
      const { email, userId } = await newUser(domain)
      const b = new BrowserClient(server.url, server.url)
      const id = await begin(b, email)
      const link = linkFrom(await prepare(b, id, email, 'email_link'))
      if (late) await cover(domain)
      const status = await openLink(b, link)
      const signIn = (await b.get(`/v1/client/sign_ins/${id}`)).json.response
      if (late) {
        // The link page answers with Clerk's `__clerk_status`, not a 422: `failed`.
        expect(status).toBe('failed')
        expect(signIn.status).toBe('needs_first_factor')
        expect(signIn.created_session_id).toBeNull()
        expect(await sessionCount(userId)).toBe(0)
      } else {
        expect(status).toBe('verified')
        expect(signIn.status).toBe('complete')
        expect(await sessionCount(userId)).toBe(1)
      }
    })
  }

  // 2. reset password: the code proved before the connection, the new password set after.
  for (const late of [true, false]) {
    it(`reset_password: ${late ? 'the reset after the connection is refused, the password unchanged' : 'with no connection the reset signs in'}`, async () => {
      const domain = newDomain()
      const { email, userId } = await newUser(domain)
      const b = new BrowserClient(server.url, server.url)
      const id = await begin(b, email)
      const code = codeFrom(await prepare(b, id, email, 'reset_password_email_code'))
      const proved = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
        strategy: 'reset_password_email_code',
        code,
      })
      expect(proved.json.response.status).toBe('needs_new_password')
      if (late) await cover(domain, 'activate')
      const reset = await b.post(`/v1/client/sign_ins/${id}/reset_password`, {
        password: 'a brand new passphrase',
      })
      const verify = (password: string) =>
        clerk()
          .users.verifyPassword({ userId, password })
          .then((r) => r.verified)
          .catch(() => false)
      if (late) {
        refused(reset)
        expect(await sessionCount(userId)).toBe(0)
        expect((await b.get(`/v1/client/sign_ins/${id}`)).json.response.status).toBe(
          'needs_new_password',
        )
        expect(await verify(PASSWORD)).toBe(true)
        expect(await verify('a brand new passphrase')).toBe(false)
      } else {
        expect(reset.status, JSON.stringify(reset.json)).toBe(200)
        expect(reset.json.response.status).toBe('complete')
        expect(await sessionCount(userId)).toBe(1)
        expect(await verify('a brand new passphrase')).toBe(true)
      }
    })
  }

  it('reset_password_email_code: prepared before the connection, the code attempted after: refused', async () => {
    const domain = newDomain()
    const { email, userId } = await newUser(domain)
    const b = new BrowserClient(server.url, server.url)
    const id = await begin(b, email)
    const code = codeFrom(await prepare(b, id, email, 'reset_password_email_code'))
    await cover(domain)
    refused(
      await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
        strategy: 'reset_password_email_code',
        code,
      }),
    )
    expect((await b.get(`/v1/client/sign_ins/${id}`)).json.response.status).toBe(
      'needs_first_factor',
    )
    expect(await sessionCount(userId)).toBe(0)
  })

  /** A user of `domain` who enrolled TOTP (signed in by password to do it, then signed out). */
  async function enrolled(domain: string) {
    const { email, userId } = await newUser(domain)
    const b = new BrowserClient(server.url, server.url)
    await b.signIn(email, PASSWORD)
    const made = await b.post('/v1/me/totp')
    expect(made.status, JSON.stringify(made.json)).toBe(200)
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(made.json.response.secret) })
    const ok = await b.post('/v1/me/totp/attempt_verification', {
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(ok.status, JSON.stringify(ok.json)).toBe(200)
    clock().advance(31_000)
    const before = await sessionCount(userId)
    return { email, userId, totp, before }
  }

  // 3. the second factor after a password proved before the connection.
  for (const late of [true, false]) {
    it(`password then TOTP: the second factor ${late ? 'after the connection is refused' : 'with no connection completes'}`, async () => {
      const domain = newDomain()
      const { email, userId, totp, before } = await enrolled(domain)
      const b = new BrowserClient(server.url, server.url)
      const first = await b.post('/v1/client/sign_ins', { identifier: email, password: PASSWORD })
      expect(first.json.response.status).toBe('needs_second_factor')
      const id = first.json.response.id as string
      if (late) await cover(domain, 'add_domain')
      const done = await b.post(`/v1/client/sign_ins/${id}/attempt_second_factor`, {
        strategy: 'totp',
        code: totp.generate({ timestamp: server.clock.now() }),
      })
      if (late) {
        refused(done)
        const signIn = (await b.get(`/v1/client/sign_ins/${id}`)).json.response
        expect(signIn.status).toBe('needs_second_factor')
        expect(signIn.created_session_id).toBeNull()
        expect(await sessionCount(userId)).toBe(before)
        expect((await clientOf(b))?.sessions ?? []).toEqual([])
      } else {
        expect(done.status, JSON.stringify(done.json)).toBe(200)
        expect(done.json.response.status).toBe('complete')
        expect(await sessionCount(userId)).toBe(before + 1)
      }
    })
  }

  it('an email code first factor proved before the connection, TOTP after: refused', async () => {
    const domain = newDomain()
    const { email, userId, totp, before } = await enrolled(domain)
    const b = new BrowserClient(server.url, server.url)
    const id = await begin(b, email)
    const code = codeFrom(await prepare(b, id, email, 'email_code'))
    const first = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
      strategy: 'email_code',
      code,
    })
    expect(first.json.response.status).toBe('needs_second_factor')
    await cover(domain)
    refused(
      await b.post(`/v1/client/sign_ins/${id}/attempt_second_factor`, {
        strategy: 'totp',
        code: totp.generate({ timestamp: server.clock.now() }),
      }),
    )
    expect(await sessionCount(userId)).toBe(before)
  })

  // 4. sign-up email code and email link.
  async function startSignUp(b: BrowserClient, email: string, strategy: string) {
    const r = await b.post('/v1/client/sign_ups', { email_address: email, password: PASSWORD })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const id = r.json.response.id as string
    const at = smtp.messages.length
    const p = await b.post(`/v1/client/sign_ups/${id}/prepare_verification`, {
      strategy,
      redirect_url: `${server.url}/verified`,
    })
    expect(p.status, JSON.stringify(p.json)).toBe(200)
    return { id, mail: await smtp.waitForMail(email, { after: at }) }
  }

  for (const late of [true, false]) {
    it(`sign-up email code: ${late ? 'attempted after the connection is refused, no user' : 'with no connection creates the user'}`, async () => {
      const domain = newDomain()
      const email = `new${++n}@${domain}`
      const b = new BrowserClient(server.url, server.url)
      const { id, mail } = await startSignUp(b, email, 'email_code')
      if (late) await cover(domain, 'activate')
      const users = await userCount()
      const done = await b.post(`/v1/client/sign_ups/${id}/attempt_verification`, {
        strategy: 'email_code',
        code: codeFrom(mail),
      })
      const found = await clerk().users.getUserList({ emailAddress: [email] })
      if (late) {
        refused(done)
        expect(await userCount()).toBe(users)
        expect(found.totalCount).toBe(0)
        const signUp = (await b.get(`/v1/client/sign_ups/${id}`)).json.response
        expect(signUp.status).toBe('missing_requirements')
        expect(signUp.created_user_id).toBeNull()
        expect((await clientOf(b))?.sessions ?? []).toEqual([])
      } else {
        expect(done.status, JSON.stringify(done.json)).toBe(200)
        expect(done.json.response.status).toBe('complete')
        expect(found.totalCount).toBe(1)
      }
    })

    it(`sign-up email link: ${late ? 'opened after the connection creates no user' : 'with no connection creates the user'}`, async () => {
      const domain = newDomain()
      const email = `new${++n}@${domain}`
      const b = new BrowserClient(server.url, server.url)
      const { id, mail } = await startSignUp(b, email, 'email_link')
      if (late) await cover(domain, 'add_domain')
      const users = await userCount()
      const status = await openLink(b, linkFrom(mail))
      const signUp = (await b.get(`/v1/client/sign_ups/${id}`)).json.response
      const found = await clerk().users.getUserList({ emailAddress: [email] })
      if (late) {
        expect(status).toBe('failed')
        expect(signUp.status).toBe('missing_requirements')
        expect(await userCount()).toBe(users)
        expect(found.totalCount).toBe(0)
      } else {
        expect(status).toBe('verified')
        expect(signUp.status).toBe('complete')
        expect(found.totalCount).toBe(1)
      }
    })
  }

  // 5. a social provider's answer kept for a transfer, the transfer made after the connection.
  /** Through the social IdP as `sub`, for a sign-in or a sign-up; returns the browser. */
  async function atSocial(kind: 'sign_ins' | 'sign_ups', sub: string) {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', `/v1/client/${kind}`, {
      strategy: 'oauth_custom_social',
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const v =
      kind === 'sign_ins'
        ? r.json.response.first_factor_verification
        : r.json.response.verifications.external_account
    social.signInAs = sub
    const back = new URL(
      (await new BrowserAgent(social.issuer).goto(v.external_verification_redirect_url)).url,
    )
    const res = await b.send('GET', back.pathname + back.search)
    expect(res.status).toBe(303)
    return b
  }

  for (const late of [true, false]) {
    it(`social sign-in of a new address, then sign_ups transfer: ${late ? 'after the connection, no user' : 'with no connection, the user'}`, async () => {
      const domain = newDomain()
      const email = `soc${++n}@${domain}`
      const sub = `soc-${dialect}-${n}`
      social.accounts.set(sub, { email, email_verified: true })
      const b = await atSocial('sign_ins', sub)
      const waiting = (await clientOf(b)).sign_in
      expect(waiting.first_factor_verification.status).toBe('transferable')
      if (late) await cover(domain)
      const users = await userCount()
      const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
      const found = await clerk().users.getUserList({ emailAddress: [email] })
      if (late) {
        refused(up)
        expect(await userCount()).toBe(users)
        expect(found.totalCount).toBe(0)
        expect((await clientOf(b)).sessions).toEqual([])
      } else {
        expect(up.status, JSON.stringify(up.json)).toBe(200)
        expect(up.json.response.status).toBe('complete')
        expect(found.totalCount).toBe(1)
      }
    })

    it(`social sign-up of an existing user's address, then sign_ins transfer: ${late ? 'after the connection, no session' : 'with no connection, signed in'}`, async () => {
      const domain = newDomain()
      const { email, userId } = await newUser(domain)
      const sub = `soc-${dialect}-${++n}`
      social.accounts.set(sub, { email, email_verified: true })
      const b = await atSocial('sign_ups', sub)
      const waiting = (await clientOf(b)).sign_up
      expect(waiting.verifications.external_account.status).toBe('transferable')
      if (late) await cover(domain, 'activate')
      const inn = await b.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
      if (late) {
        refused(inn)
        expect(await sessionCount(userId)).toBe(0)
        expect((await clerk().users.getUser(userId)).externalAccounts).toEqual([])
        expect((await clientOf(b)).sessions).toEqual([])
      } else {
        expect(inn.status, JSON.stringify(inn.json)).toBe(200)
        expect(inn.json.response).toMatchObject({
          status: 'complete',
          first_factor_verification: { status: 'verified', strategy: 'oauth_custom_social' },
        })
        expect(await sessionCount(userId)).toBe(1)
      }
    })
  }

  it('a social sign-in transferred with TOTP enrolled: the second factor after the connection is refused', async () => {
    const domain = newDomain()
    const { email, userId, totp, before } = await enrolled(domain)
    const sub = `soc-${dialect}-${++n}`
    social.accounts.set(sub, { email, email_verified: true })
    const b = await atSocial('sign_ups', sub)
    const inn = await b.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
    expect(inn.json.response).toMatchObject({
      status: 'needs_second_factor',
      first_factor_verification: { status: 'verified', strategy: 'oauth_custom_social' },
    })
    await cover(domain)
    refused(
      await b.post(`/v1/client/sign_ins/${inn.json.response.id}/attempt_second_factor`, {
        strategy: 'totp',
        code: totp.generate({ timestamp: server.clock.now() }),
      }),
    )
    expect(await sessionCount(userId)).toBe(before)
  })

  // 6. the first factor attempted after the connection: a password, an email code.
  for (const late of [true, false]) {
    it(`password attempt_first_factor: ${late ? 'after the connection is refused' : 'with no connection signs in'}`, async () => {
      const domain = newDomain()
      const { email, userId } = await newUser(domain)
      const b = new BrowserClient(server.url, server.url)
      const id = await begin(b, email)
      if (late) await cover(domain)
      const r = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
        strategy: 'password',
        password: PASSWORD,
      })
      if (late) {
        refused(r)
        expect(await sessionCount(userId)).toBe(0)
      } else {
        expect(r.json.response.status).toBe('complete')
        expect(await sessionCount(userId)).toBe(1)
      }
    })

    it(`email_code attempt_first_factor: ${late ? 'after the connection is refused' : 'with no connection signs in'}`, async () => {
      const domain = newDomain()
      const { email, userId } = await newUser(domain)
      const b = new BrowserClient(server.url, server.url)
      const id = await begin(b, email)
      const code = codeFrom(await prepare(b, id, email, 'email_code'))
      if (late) await cover(domain, 'add_domain')
      const r = await b.post(`/v1/client/sign_ins/${id}/attempt_first_factor`, {
        strategy: 'email_code',
        code,
      })
      if (late) {
        refused(r)
        expect((await b.get(`/v1/client/sign_ins/${id}`)).json.response.status).toBe(
          'needs_first_factor',
        )
        expect(await sessionCount(userId)).toBe(0)
      } else {
        expect(r.json.response.status).toBe('complete')
        expect(await sessionCount(userId)).toBe(1)
      }
    })
  }

  // The IdP's own completions are unchanged.
  async function atCorp(b: BrowserClient, authorize: string, sub: string) {
    corp.signInAs = sub
    const back = new URL((await new BrowserAgent(corp.issuer).goto(authorize)).url)
    return b.send('GET', back.pathname + back.search)
  }

  it('enterprise_sso still signs in a user the connection covers, and their TOTP completes it', async () => {
    const domain = newDomain()
    const { email, userId, totp, before } = await enrolled(domain)
    await cover(domain)
    const sub = `corp-${dialect}-${++n}`
    corp.accounts.set(sub, { email, email_verified: true })
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: 'enterprise_sso',
      identifier: email,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const res = await atCorp(
      b,
      r.json.response.first_factor_verification.external_verification_redirect_url,
      sub,
    )
    expect(res.status).toBe(303)
    const signIn = (await clientOf(b)).sign_in
    expect(signIn).toMatchObject({
      status: 'needs_second_factor',
      first_factor_verification: { status: 'verified', strategy: 'enterprise_sso' },
    })
    const done = await b.post(`/v1/client/sign_ins/${signIn.id}/attempt_second_factor`, {
      strategy: 'totp',
      code: totp.generate({ timestamp: server.clock.now() }),
    })
    expect(done.status, JSON.stringify(done.json)).toBe(200)
    expect(done.json.response.status).toBe('complete')
    expect(await sessionCount(userId)).toBe(before + 1)
  })

  it('enterprise_sso still signs up a new address, and transfers a second sign-up to a sign-in', async () => {
    const domain = newDomain()
    await cover(domain)
    const email = `sso${++n}@${domain}`
    const sub = `corp-${dialect}-${n}`
    corp.accounts.set(sub, { email, email_verified: true })
    const signUp = async () => {
      const b = new BrowserClient(server.url, server.url)
      const r = await b.request('POST', '/v1/client/sign_ups', {
        strategy: 'enterprise_sso',
        email_address: email,
        redirect_url: `${server.url}/sso-callback`,
        action_complete_redirect_url: `${server.url}/done`,
      })
      expect(r.status, JSON.stringify(r.json)).toBe(200)
      const v = r.json.response.verifications.external_account
      expect((await atCorp(b, v.external_verification_redirect_url, sub)).status).toBe(303)
      return b
    }
    const first = await signUp()
    const made = (await clientOf(first)).sign_up
    expect(made.status).toBe('complete')
    const userId = made.created_user_id as string
    expect(await sessionCount(userId)).toBe(1)
    const second = await signUp()
    const inn = await second.request('POST', '/v1/client/sign_ins', { transfer: 'true' })
    expect(inn.status, JSON.stringify(inn.json)).toBe(200)
    expect(inn.json.response).toMatchObject({
      status: 'complete',
      first_factor_verification: { status: 'verified', strategy: 'enterprise_sso' },
    })
    expect(await sessionCount(userId)).toBe(2)
  })
})
