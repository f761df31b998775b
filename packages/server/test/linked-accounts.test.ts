import { createClerkClient } from '@clerk/backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

const ACME = 'oauth_custom_acme'
const BETA = 'oauth_custom_beta'
const PASSWORD = 'correct horse battery staple'
const MINUTE = 60_000

// Issue #18 item 3: linked accounts beyond sign-in. Connect another provider from the profile
// (bound to the session that started it), disconnect unless it is the last way in, and the
// provider's tokens for the app's backend (sealed at rest, refreshed when they expire).
describe.each(DIALECTS)('linked accounts (%s)', (dialect) => {
  let server: TestServer
  let idp: UpstreamIdp
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { fake: true })
    idp = await UpstreamIdp.start(`${server.url}/v1/oauth_callback`)
    for (const provider of ['custom_acme', 'custom_beta']) {
      const made = await bapi('POST', '/v1/oauth_connections', {
        provider,
        issuer: idp.issuer,
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
      })
      expect(made.status).toBe(200)
    }
  })
  afterAll(async () => {
    await idp?.close()
    await server?.close()
  })

  const clock = () => server.clock as { advance(ms: number): void }
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

  /** An account at the provider asserting `email` (verified). */
  function account(email = `upstream-${dialect}-${++n}@elsewhere.example`) {
    const sub = `acct-${dialect}-${++n}`
    idp.accounts.set(sub, { email, email_verified: true, given_name: 'Ada' })
    return sub
  }

  async function signedIn() {
    const email = `linked-${dialect}-${++n}@example.com`
    const user = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    const b = new BrowserClient(server.url, server.url)
    const sid = await b.signIn(email, PASSWORD)
    return { b, sid, userId: user.id, email }
  }

  /** The profile's "Connect": Clerk's `user.createExternalAccount()`. */
  async function connect(b: BrowserClient, strategy = ACME) {
    const r = await b.post('/v1/me/external_accounts', {
      strategy,
      redirect_url: `${server.url}/profile`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    return r.json.response
  }

  async function atProvider(authorizeUrl: string, sub: string): Promise<URL> {
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(authorizeUrl)
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

  async function connectAs(b: BrowserClient, sub: string, strategy = ACME) {
    const pending = await connect(b, strategy)
    const back = await callback(
      b,
      await atProvider(pending.verification.external_verification_redirect_url, sub),
    )
    return { pending, back }
  }

  const accountsOf = async (userId: string) =>
    (await bapi('GET', `/v1/users/${userId}`)).json.external_accounts as {
      id: string
      provider: string
      provider_user_id: string
    }[]

  it('connects a provider from the profile whatever its email says, then a second one', async () => {
    const { b, userId } = await signedIn()
    const sub = account()
    const pending = await connect(b)
    expect(pending).toMatchObject({
      object: 'external_account',
      id: expect.stringMatching(/^eac_/),
      provider: ACME,
      verification: {
        status: 'unverified',
        strategy: ACME,
        external_verification_redirect_url: expect.stringContaining(idp.issuer),
      },
    })
    const authorize = new URL(pending.verification.external_verification_redirect_url)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    const back = await callback(b, await atProvider(authorize.href, sub))
    expect(back).toMatchObject({ status: 303, location: `${server.url}/profile` })
    expect(await accountsOf(userId)).toMatchObject([
      { id: pending.id, provider: ACME, provider_user_id: sub },
    ])
    await expect
      .poll(async () => (await b.get('/v1/me')).json.response.external_accounts.length)
      .toBe(1)

    const second = await connectAs(b, account(), BETA)
    expect(second.back.location).toBe(`${server.url}/profile`)
    expect((await accountsOf(userId)).map((a) => a.provider)).toEqual([ACME, BETA])
    // The provider's account now signs this user in (its email was never this user's).
    const s = new BrowserClient(server.url, server.url)
    const started = await s.post('/v1/client/sign_ins', {
      strategy: ACME,
      redirect_url: `${server.url}/sso-callback`,
    })
    const signInBack = await callback(
      s,
      await atProvider(
        started.json.response.first_factor_verification.external_verification_redirect_url,
        sub,
      ),
    )
    expect(signInBack.status).toBe(303)
    const client = (await s.get('/v1/client')).json.response
    expect(client.sessions[0].user.id).toBe(userId)
  })

  it('refuses a provider account linked to another user: external_account_exists, nothing linked', async () => {
    const owner = await signedIn()
    const sub = account()
    await connectAs(owner.b, sub)
    const other = await signedIn()
    const { back } = await connectAs(other.b, sub)
    expect(back.status).toBe(303)
    const to = new URL(back.location ?? '')
    expect(to.origin + to.pathname).toBe(`${server.url}/profile`)
    expect(to.searchParams.get('latchkey_error')).toBe('external_account_exists')
    expect(await accountsOf(other.userId)).toEqual([])
    expect((await accountsOf(owner.userId)).map((a) => a.provider_user_id)).toEqual([sub])
  })

  it("binds the connect to its session: another browser's, a replayed or a signed-out session's callback links nothing", async () => {
    const attacker = await signedIn()
    const victim = await signedIn()
    const sub = account()
    // The attacker proves their own provider account and hands the callback URL to the victim.
    const pending = await connect(attacker.b)
    const url = await atProvider(pending.verification.external_verification_redirect_url, sub)
    const before = await server.snapshot()
    const foreign = await callback(victim.b, url)
    expect(foreign.status).toBe(400)
    expect(foreign.json.errors[0].code).toBe('verification_client_mismatch')
    expect(await server.snapshot()).toEqual(before)
    expect(await accountsOf(victim.userId)).toEqual([])
    // The one it was made for links it once; a replay is refused.
    expect((await callback(attacker.b, url)).status).toBe(303)
    const replay = await callback(attacker.b, url)
    expect(replay.status).toBe(400)
    expect(replay.json.errors[0].code).toBe('verification_already_verified')
    expect((await accountsOf(attacker.userId)).map((a) => a.provider_user_id)).toEqual([sub])

    // Started, then signed out before the provider answered: nothing is linked to anyone.
    const gone = await signedIn()
    const started = await connect(gone.b)
    const late = await atProvider(
      started.verification.external_verification_redirect_url,
      account(),
    )
    expect((await gone.b.post(`/v1/client/sessions/${gone.sid}/remove`)).status).toBe(200)
    const after = await callback(gone.b, late)
    expect(after.status).toBeGreaterThanOrEqual(400)
    expect(after.status).toBeLessThan(500)
    expect(await accountsOf(gone.userId)).toEqual([])
  })

  it('asks for a recent step-up to connect when reverification is on', async () => {
    const { b } = await signedIn()
    const set = await bapi('PATCH', '/v1/instance/user_settings', {
      reverification: { enabled: true, max_age_minutes: 10, level: 'first_factor' },
    })
    expect(set.status).toBe(200)
    try {
      clock().advance(11 * MINUTE)
      const before = await server.snapshot()
      const r = await b.post('/v1/me/external_accounts', {
        strategy: ACME,
        redirect_url: `${server.url}/profile`,
      })
      expect(r.status).toBe(403)
      expect(r.json.errors[0].code).toBe('session_reverification_required')
      expect(await server.snapshot()).toEqual(before)
    } finally {
      await bapi('PATCH', '/v1/instance/user_settings', { reverification: { enabled: false } })
    }
  })

  it('cannot disconnect the last way in; can once there is another', async () => {
    const set = await bapi('PATCH', '/v1/instance/user_settings', {
      first_factors: { email_code: false, email_link: false },
    })
    expect(set.status).toBe(200)
    try {
      // A user who signed up through the provider: no password, sign-in by code is off.
      const sub = account(`only-${dialect}-${++n}@example.com`)
      const b = new BrowserClient(server.url, server.url)
      const started = await b.post('/v1/client/sign_ins', {
        strategy: ACME,
        redirect_url: `${server.url}/sso-callback`,
      })
      await callback(
        b,
        await atProvider(
          started.json.response.first_factor_verification.external_verification_redirect_url,
          sub,
        ),
      )
      const up = await b.post('/v1/client/sign_ups', { transfer: 'true' })
      expect(up.json.response?.status, JSON.stringify(up.json)).toBe('complete')
      const userId = up.json.response.created_user_id as string
      const [only] = await accountsOf(userId)
      const refused = await b.post(`/v1/me/external_accounts/${only?.id}?_method=DELETE`)
      expect(refused.status).toBe(403)
      expect(refused.json.errors[0].code).toBe('identification_deletion_failed')
      expect(await accountsOf(userId)).toHaveLength(1)

      await connectAs(b, account(), BETA)
      const removed = await b.post(`/v1/me/external_accounts/${only?.id}?_method=DELETE`)
      expect(removed.status).toBe(200)
      expect(removed.json.response).toEqual({
        object: 'external_account',
        id: only?.id,
        deleted: true,
      })
      const left = await accountsOf(userId)
      expect(left.map((a) => a.provider)).toEqual([BETA])
      const last = await b.post(`/v1/me/external_accounts/${left[0]?.id}?_method=DELETE`)
      expect(last.json.errors[0].code).toBe('identification_deletion_failed')
      // The operator may (Backend API).
      const del = await bapi('DELETE', `/v1/users/${userId}/external_accounts/${left[0]?.id}`)
      expect(del.status).toBe(200)
      expect(del.json).toMatchObject({ object: 'external_account', deleted: true })
      expect(await accountsOf(userId)).toEqual([])
    } finally {
      await bapi('PATCH', '/v1/instance/user_settings', {
        first_factors: { email_code: true },
      })
    }
  })

  it("the app's backend fetches the provider token (sealed at rest) and gets it refreshed after expiry", async () => {
    const { b, userId } = await signedIn()
    const sub = account()
    idp.accessTokenTtl = 600
    await connectAs(b, sub)
    const [linked] = await accountsOf(userId)
    const got = await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')
    expect(got.data).toHaveLength(1)
    const first = got.data[0]
    expect(first).toMatchObject({
      externalAccountId: linked?.id,
      provider: ACME,
      scopes: expect.arrayContaining(['openid', 'email']),
    })
    expect(first?.token).toMatch(/.{20,}/)
    // The spec's shape, as the Backend API answers it without the SDK.
    const plain = await bapi('GET', `/v1/users/${userId}/oauth_access_tokens/${ACME}`)
    expect(plain.json).toEqual([
      {
        object: 'oauth_access_token',
        external_account_id: linked?.id,
        provider_user_id: sub,
        token: first?.token,
        provider: ACME,
        public_metadata: {},
        label: null,
        scopes: ['openid', 'email', 'profile'],
        token_secret: null,
        expires_at: expect.any(Number),
      },
    ])
    // The token is the provider's: its userinfo answers for this account with it.
    const info = await fetch(`${idp.issuer}/me`, {
      headers: { authorization: `Bearer ${first?.token}` },
    })
    expect(info.status).toBe(200)
    expect(((await info.json()) as { sub: string }).sub).toBe(sub)

    // At rest, only sealed values: neither token appears in the row.
    const row = await server.db.db
      .selectFrom('external_accounts')
      .selectAll()
      .where('id', '=', linked?.id ?? '')
      .executeTakeFirstOrThrow()
    const raw = JSON.stringify(row)
    expect(raw).not.toContain(first?.token)
    expect(row.access_token_sealed).toBeTruthy()
    expect(row.refresh_token_sealed).toBeTruthy()
    const flows = await server.db.db.selectFrom('oauth_flows').select('claims').execute()
    for (const f of flows) expect(f.claims ?? '').not.toContain(first?.token)

    // Not expired: the same token again.
    const again = await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')
    expect(again.data[0]?.token).toBe(first?.token)
    // Expired: refreshed with the refresh token, a new token the provider accepts.
    clock().advance(11 * MINUTE)
    const fresh = await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')
    const token = fresh.data[0]?.token
    expect(token).toBeTruthy()
    expect(token).not.toBe(first?.token)
    expect(fresh.data[0]?.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000))
    const info2 = await fetch(`${idp.issuer}/me`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(info2.status).toBe(200)
    // The rotated refresh token was kept: a second expiry refreshes again.
    clock().advance(11 * MINUTE)
    const third = await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')
    expect(third.data[0]?.token).not.toBe(token)
    // Another provider, or no user: an empty list, a 404.
    expect((await clerk().users.getUserOauthAccessToken(userId, 'custom_beta')).data).toEqual([])
    const none = await bapi('GET', '/v1/users/user_nobody/oauth_access_tokens/oauth_custom_acme')
    expect(none.status).toBe(404)
  })

  it('a sign-in through the provider replaces the stored tokens', async () => {
    const { b, userId } = await signedIn()
    const sub = account()
    await connectAs(b, sub)
    const before = (await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')).data[0]
      ?.token
    const s = new BrowserClient(server.url, server.url)
    const started = await s.post('/v1/client/sign_ins', {
      strategy: ACME,
      redirect_url: `${server.url}/sso-callback`,
    })
    await callback(
      s,
      await atProvider(
        started.json.response.first_factor_verification.external_verification_redirect_url,
        sub,
      ),
    )
    const after = (await clerk().users.getUserOauthAccessToken(userId, 'custom_acme')).data[0]
      ?.token
    expect(after).toBeTruthy()
    expect(after).not.toBe(before)
  })

  it('reauthorizes an account (same provider account) and prunes day-old flows', async () => {
    const { b, userId } = await signedIn()
    const sub = account()
    await connectAs(b, sub)
    const [linked] = await accountsOf(userId)
    const re = await b.post(`/v1/me/external_accounts/${linked?.id}/reauthorize?_method=PATCH`, {
      redirect_url: `${server.url}/profile`,
    })
    expect(re.status, JSON.stringify(re.json)).toBe(200)
    expect(re.json.response).toMatchObject({
      id: linked?.id,
      verification: { status: 'unverified' },
    })
    // Coming back as another provider account is refused.
    const wrong = await callback(
      b,
      await atProvider(re.json.response.verification.external_verification_redirect_url, account()),
    )
    expect(new URL(wrong.location ?? '').searchParams.get('latchkey_error')).toBe(
      'external_account_mismatch',
    )
    expect((await accountsOf(userId)).map((a) => a.provider_user_id)).toEqual([sub])

    const count = async () =>
      Number(
        (
          await server.db.db
            .selectFrom('oauth_flows')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
    expect(await count()).toBeGreaterThan(0)
    clock().advance(25 * 60 * MINUTE)
    await server.services.externalAccounts.pruneFlows()
    expect(await count()).toBe(0)
  })

  // Issue "concurrent connects": two requests linking one provider account at once both found it
  // unlinked and both inserted it; the loser's unique violation was a 500.
  it('concurrent connects of one provider account: one user gets it, the others external_account_exists', async () => {
    const sub = account()
    const racers = await Promise.all([signedIn(), signedIn(), signedIn()])
    const urls: URL[] = []
    for (const r of racers) {
      const pending = await connect(r.b)
      urls.push(await atProvider(pending.verification.external_verification_redirect_url, sub))
    }
    const backs = await Promise.all(racers.map((r, i) => callback(r.b, urls[i] as URL)))
    expect(backs.map((b) => b.status)).toEqual([303, 303, 303])
    const errors = backs.map((b) => new URL(b.location ?? '').searchParams.get('latchkey_error'))
    expect(errors.filter((e) => e === null)).toHaveLength(1)
    expect(errors.filter((e) => e === 'external_account_exists')).toHaveLength(2)
    const linked = await Promise.all(racers.map((r) => accountsOf(r.userId)))
    expect(linked.map((l) => l.length).sort()).toEqual([0, 0, 1])
    expect(linked[errors.indexOf(null)]?.map((a) => a.provider_user_id)).toEqual([sub])
  })

  it('one user connecting one provider account from two tabs at once: both succeed, one account', async () => {
    const { b, userId } = await signedIn()
    const sub = account()
    const urls: URL[] = []
    for (let i = 0; i < 3; i++) {
      const pending = await connect(b)
      urls.push(await atProvider(pending.verification.external_verification_redirect_url, sub))
    }
    const backs = await Promise.all(urls.map((u) => callback(b, u)))
    expect(backs.map((x) => [x.status, x.location])).toEqual(
      urls.map(() => [303, `${server.url}/profile`]),
    )
    expect((await accountsOf(userId)).map((a) => a.provider_user_id)).toEqual([sub])
  })

  it('concurrent first sign-ins through a provider account that links by verified email: all sign in, one account', async () => {
    const { userId, email } = await signedIn()
    const sub = account(email)
    const browsers = [0, 1, 2].map(() => new BrowserClient(server.url, server.url))
    const urls: URL[] = []
    for (const s of browsers) {
      const started = await s.post('/v1/client/sign_ins', {
        strategy: ACME,
        redirect_url: `${server.url}/sso-callback`,
      })
      urls.push(
        await atProvider(
          started.json.response.first_factor_verification.external_verification_redirect_url,
          sub,
        ),
      )
    }
    const backs = await Promise.all(browsers.map((s, i) => callback(s, urls[i] as URL)))
    expect(backs.map((x) => x.status)).toEqual([303, 303, 303])
    for (const s of browsers) {
      const client = (await s.get('/v1/client')).json.response
      expect(client.sessions.map((x: { user: { id: string } }) => x.user.id)).toEqual([userId])
    }
    expect((await accountsOf(userId)).map((a) => a.provider_user_id)).toEqual([sub])
  })

  it('concurrent sign-ups through one new provider account: one creates the user, the others transfer to it', async () => {
    const sub = account(`new-${dialect}-${++n}@example.com`)
    const browsers = [0, 1, 2].map(() => new BrowserClient(server.url, server.url))
    const urls: URL[] = []
    for (const s of browsers) {
      const started = await s.post('/v1/client/sign_ups', {
        strategy: ACME,
        redirect_url: `${server.url}/sso-callback`,
        action_complete_redirect_url: `${server.url}/done`,
      })
      expect(started.status, JSON.stringify(started.json)).toBe(200)
      const v = started.json.response.verifications.external_account
      urls.push(await atProvider(v.external_verification_redirect_url, sub))
    }
    const backs = await Promise.all(browsers.map((s, i) => callback(s, urls[i] as URL)))
    expect(
      backs.map((x) => x.status),
      JSON.stringify(backs),
    ).toEqual([303, 303, 303])
    const created = backs.filter((x) => x.location === `${server.url}/done`)
    expect(created).toHaveLength(1)
    const userIds = new Set<string>()
    for (const s of browsers) {
      const client = (await s.get('/v1/client')).json.response
      if (client.sessions.length === 0) {
        const up = client.sign_up.verifications.external_account
        expect(up).toMatchObject({
          status: 'transferable',
          error: { code: 'external_account_exists' },
        })
        const moved = await s.post('/v1/client/sign_ins', { transfer: 'true' })
        expect(moved.status, JSON.stringify(moved.json)).toBe(200)
        expect(moved.json.response.status).toBe('complete')
      }
      const after = (await s.get('/v1/client')).json.response
      for (const x of after.sessions as { user: { id: string } }[]) userIds.add(x.user.id)
    }
    expect(userIds.size).toBe(1)
    const [userId] = [...userIds]
    expect((await accountsOf(userId as string)).map((a) => a.provider_user_id)).toEqual([sub])
  })
})
