import { createClerkClient } from '@clerk/backend'
import { exportPKCS8, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { AppleStandIn, formPostFields } from './helpers/upstream-apple.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'
import { DISCORD_SHAPE, GITHUB_SHAPE, OAuth2StandIn } from './helpers/upstream-oauth2.js'

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const PASSWORD = 'correct horse battery staple'

// Issue #18, item 1: the named providers, each against a real server on loopback speaking that
// provider's documented protocol — oidc-provider under Google's, Microsoft's and GitLab's
// discovery shapes, stand-ins for GitHub's and Discord's OAuth 2 APIs, and Apple's form_post
// with the ES256 client-secret JWT. What each provider's answer proves about an email address
// decides linking (the nOAuth class: Microsoft's unverified `email`, GitHub's unverified one).
describe.each(DIALECTS)('social providers (%s)', (dialect) => {
  let server: TestServer
  let google: UpstreamIdp
  let microsoft: UpstreamIdp
  let gitlab: UpstreamIdp
  let github: OAuth2StandIn
  let discord: OAuth2StandIn
  let apple: AppleStandIn
  let n = 0
  const uniq = (what: string) => `${what}-${dialect}-${++n}`

  beforeAll(async () => {
    server = await createTestServer(dialect)
    const cb = `${server.url}/v1/oauth_callback`
    ;[google, microsoft, gitlab, github, discord, apple] = await Promise.all([
      UpstreamIdp.start(cb, {
        claimsInIdToken: true,
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['given_name', 'family_name', 'picture', 'name'],
        },
      }),
      UpstreamIdp.start(cb, {
        path: `/${TENANT}/v2.0`,
        claimsInIdToken: true,
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified', 'xms_edov'],
          profile: ['name', 'given_name', 'family_name', 'preferred_username'],
        },
      }),
      UpstreamIdp.start(cb, {
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['name', 'nickname', 'preferred_username', 'picture'],
        },
      }),
      OAuth2StandIn.start(cb, GITHUB_SHAPE),
      OAuth2StandIn.start(cb, DISCORD_SHAPE),
      AppleStandIn.start(cb),
    ])
    const connections = [
      { provider: 'google', issuer: google.issuer, ...creds(google) },
      { provider: 'microsoft', issuer: microsoft.issuer, ...creds(microsoft) },
      { provider: 'gitlab', issuer: gitlab.issuer, ...creds(gitlab) },
      { provider: 'github', endpoint_base_url: github.origin, ...creds(github) },
      { provider: 'discord', endpoint_base_url: discord.origin, ...creds(discord) },
      {
        provider: 'apple',
        issuer: apple.issuer,
        client_id: apple.clientId,
        team_id: apple.teamId,
        key_id: apple.keyId,
        private_key: apple.privateKeyPem,
      },
    ]
    for (const c of connections) {
      const made = await bapi('POST', '/v1/oauth_connections', c)
      expect(made.status, JSON.stringify(made.json)).toBe(200)
    }
  })
  afterAll(async () => {
    await Promise.all([google, microsoft, gitlab, github, discord, apple].map((s) => s?.close()))
    await server?.close()
  })

  const creds = (s: { clientId: string; clientSecret: string }) => ({
    client_id: s.clientId,
    client_secret: s.clientSecret,
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
  const accountsOf = async (userId: string) =>
    (await bapi('GET', `/v1/users/${userId}`)).json.external_accounts as Record<string, unknown>[]

  async function start(strategy: string) {
    const b = new BrowserClient(server.url, server.url)
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy,
      redirect_url: `${server.url}/sso-callback`,
      action_complete_redirect_url: `${server.url}/done`,
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    const v = r.json.response.first_factor_verification
    return { b, authorize: new URL(v.external_verification_redirect_url) }
  }

  /** The person at a redirecting provider: it sends the browser back with a code. */
  async function viaRedirect(authorize: URL): Promise<URL> {
    const page = await new BrowserAgent(authorize.origin).goto(authorize.href)
    const back = new URL(page.url)
    expect(back.origin + back.pathname).toBe(`${server.url}/v1/oauth_callback`)
    return back
  }

  /** Apple: its page posts the answer cross-site (no cookie), Latchkey sends it on to a GET. */
  async function viaFormPost(authorize: URL) {
    const page = await fetch(authorize)
    expect(page.status).toBe(200)
    const { action, fields } = formPostFields(await page.text())
    expect(action).toBe(`${server.url}/v1/oauth_callback`)
    const posted = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    })
    expect(posted.status).toBe(303)
    return { back: new URL(posted.headers.get('location') ?? ''), fields }
  }

  async function callback(b: BrowserClient, url: URL) {
    const res = await b.send('GET', url.pathname + url.search)
    await res.text()
    return { status: res.status, location: res.headers.get('location') }
  }

  /** Sign in through `strategy`; a new account is transferred to a sign-up. */
  async function signInOrUp(strategy: string, back: (authorize: URL) => Promise<URL>) {
    const s = await start(strategy)
    const done = await callback(s.b, await back(s.authorize))
    expect(done.status).toBe(303)
    if (done.location === `${server.url}/done`) {
      const client = (await s.b.request('GET', '/v1/client')).json.response
      return { kind: 'signed_in' as const, userId: client.sessions[0].user.id as string, s }
    }
    const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    return { kind: 'transfer' as const, up, userId: up.json.response?.created_user_id as string, s }
  }

  it('Google: ID-token claims map to a verified user; signing in again finds the same one', async () => {
    const sub = uniq('g')
    const email = `${sub}@gmail.example`
    google.accounts.set(sub, {
      email,
      email_verified: true,
      given_name: 'Grace',
      family_name: 'Hopper',
      picture: 'https://lh3.example/photo.jpg',
    })
    google.signInAs = sub
    const first = await signInOrUp('oauth_google', viaRedirect)
    expect(first.s.authorize.searchParams.get('nonce')).toBeTruthy()
    expect(first.s.authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(first.kind).toBe('transfer')
    const user = await clerk().users.getUser(first.userId)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect([user.firstName, user.lastName]).toEqual(['Grace', 'Hopper'])
    expect(await accountsOf(first.userId)).toMatchObject([
      {
        provider: 'oauth_google',
        provider_user_id: sub,
        email_address_verified: true,
        image_url: 'https://lh3.example/photo.jpg',
      },
    ])
    const again = await signInOrUp('oauth_google', viaRedirect)
    expect(again).toMatchObject({ kind: 'signed_in', userId: first.userId })
  })

  it('Microsoft (tenant issuer path): an email without xms_edov is not trusted — no link', async () => {
    const sub = uniq('ms')
    const email = `${sub}@contoso.example`
    const victim = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    // Even a token that claims `email_verified: true` does not make Entra's `email` proved.
    microsoft.accounts.set(sub, { email, email_verified: true, name: 'Mallory Attacker' })
    microsoft.signInAs = sub
    const r = await signInOrUp('oauth_microsoft', viaRedirect)
    expect(r.s.authorize.pathname).toBe(`/${TENANT}/v2.0/auth`)
    expect(r.kind).toBe('transfer')
    if (r.kind !== 'transfer') return
    expect(r.up.status).toBe(422)
    expect(r.up.json.errors[0].code).toBe('form_identifier_exists')
    expect(await accountsOf(victim.id)).toEqual([])
  })

  it('Microsoft: xms_edov true proves the address — linked to the user who proved it too', async () => {
    const sub = uniq('ms')
    const email = `${sub}@contoso.example`
    const owner = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    microsoft.accounts.set(sub, { email, xms_edov: true, given_name: 'Olga', family_name: 'Own' })
    microsoft.signInAs = sub
    const r = await signInOrUp('oauth_microsoft', viaRedirect)
    expect(r).toMatchObject({ kind: 'signed_in', userId: owner.id })
    expect(await accountsOf(owner.id)).toMatchObject([
      { provider: 'oauth_microsoft', email_address: email, email_address_verified: true },
    ])
  })

  it('GitHub: a private primary email from /user/emails makes a verified user', async () => {
    const id = 1000 + n
    const login = uniq('octocat')
    const email = `${login}@users.example`
    github.accounts.set(login, {
      user: {
        id,
        login,
        name: 'Mona Lisa Octocat',
        email: null,
        avatar_url: 'https://avatars.example/u/1',
      },
      emails: [
        { email: `old-${email}`, primary: false, verified: true, visibility: null },
        { email, primary: true, verified: true, visibility: 'private' },
      ],
    })
    github.signInAs = login
    const first = await signInOrUp('oauth_github', viaRedirect)
    // Plain OAuth 2: no nonce (no ID token), but PKCE and state.
    expect(first.s.authorize.searchParams.get('nonce')).toBeNull()
    expect(first.s.authorize.searchParams.get('scope')).toBe('read:user user:email')
    expect(first.s.authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(first.kind).toBe('transfer')
    const user = await clerk().users.getUser(first.userId)
    expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
      [email, 'verified'],
    ])
    expect([user.firstName, user.lastName]).toEqual(['Mona', 'Lisa Octocat'])
    expect(await accountsOf(first.userId)).toMatchObject([
      {
        provider: 'oauth_github',
        provider_user_id: String(id),
        username: login,
        approved_scopes: 'read:user user:email',
        email_address: email,
        email_address_verified: true,
        image_url: 'https://avatars.example/u/1',
      },
    ])
    const api = github.requests.filter((q) => q.path === '/user' || q.path === '/user/emails')
    expect(api.length).toBeGreaterThanOrEqual(2)
    for (const q of api) expect(q.headers['user-agent']).toBeTruthy()
    const again = await signInOrUp('oauth_github', viaRedirect)
    expect(again).toMatchObject({ kind: 'signed_in', userId: first.userId })
  })

  it("GitHub: the login becomes the new user's username when it is free; taken, the user has none", async () => {
    const signUpAs = async (login: string, id: number) => {
      github.accounts.set(login, {
        user: { id, login, name: 'Handle Test', email: null },
        emails: [
          {
            email: `${login}-${id}@users.example`,
            primary: true,
            verified: true,
            visibility: 'private',
          },
        ],
      })
      github.signInAs = login
      const r = await signInOrUp('oauth_github', viaRedirect)
      expect(r.kind).toBe('transfer')
      return clerk().users.getUser(r.userId)
    }
    const login = uniq('Handle.free')
    expect((await signUpAs(login, 3000 + n)).username).toBe(login.toLowerCase())
    // Someone here has the next login already (a password user chose it): not taken over.
    const taken = uniq('handle-taken')
    await clerk().users.createUser({
      emailAddress: [`${taken}@other.example`],
      username: taken,
      password: PASSWORD,
    })
    expect((await signUpAs(taken, 3100 + n)).username).toBeNull()
  })

  it('GitHub: an unverified primary email links to nobody, whatever /user shows', async () => {
    const login = uniq('mallory')
    const email = `${login}@victim.example`
    const victim = await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
    github.accounts.set(login, {
      user: { id: 2000 + n, login, name: 'Mallory', email },
      emails: [{ email, primary: true, verified: false, visibility: 'public' }],
    })
    github.signInAs = login
    const r = await signInOrUp('oauth_github', viaRedirect)
    expect(r.kind).toBe('transfer')
    if (r.kind !== 'transfer') return
    expect(r.up.json.errors[0].code).toBe('form_identifier_exists')
    expect(await accountsOf(victim.id)).toEqual([])
  })

  it('Discord: /users/@me with verified email signs up; an unverified one is stored unverified', async () => {
    const id = `8${Date.now()}${n}`
    const username = uniq('wumpus')
    discord.accounts.set(username, {
      me: {
        id,
        username,
        global_name: 'Wumpus',
        email: `${username}@discord.example`,
        verified: true,
        avatar: 'abc123',
      },
    })
    discord.signInAs = username
    const first = await signInOrUp('oauth_discord', viaRedirect)
    expect(first.kind).toBe('transfer')
    const user = await clerk().users.getUser(first.userId)
    expect(user.emailAddresses[0]?.verification?.status).toBe('verified')
    expect(await accountsOf(first.userId)).toMatchObject([
      {
        provider: 'oauth_discord',
        provider_user_id: id,
        username,
        first_name: 'Wumpus',
        image_url: `https://cdn.discordapp.com/avatars/${id}/abc123.png`,
      },
    ])
    const other = uniq('unverified')
    discord.accounts.set(other, {
      me: { id: `9${n}`, username: other, email: `${other}@discord.example`, verified: false },
    })
    discord.signInAs = other
    const second = await signInOrUp('oauth_discord', viaRedirect)
    const u2 = await clerk().users.getUser(second.userId)
    expect(u2.emailAddresses[0]?.verification?.status).not.toBe('verified')
  })

  it('GitLab: OpenID Connect, the nickname as username', async () => {
    const sub = uniq('gl')
    gitlab.accounts.set(sub, {
      email: `${sub}@gitlab.example`,
      email_verified: true,
      name: 'Linus Torvalds',
      nickname: `nick-${sub}`,
    })
    gitlab.signInAs = sub
    const r = await signInOrUp('oauth_gitlab', viaRedirect)
    expect(r.kind).toBe('transfer')
    expect(await accountsOf(r.userId)).toMatchObject([
      {
        provider: 'oauth_gitlab',
        username: `nick-${sub}`,
        first_name: 'Linus',
        last_name: 'Torvalds',
        email_address_verified: true,
      },
    ])
  })

  it('Apple: form_post, the client-secret JWT checked by Apple, the name on first authorization only', async () => {
    const sub = `001234.${uniq('apple')}`
    const email = `${sub}@privaterelay.appleid.example`
    apple.accounts.set(sub, {
      email,
      firstName: 'Steve',
      lastName: 'Wozniak',
      isPrivateEmail: true,
    })
    apple.signInAs = sub
    const secretsBefore = apple.clientSecrets.length
    const s = await start('oauth_apple')
    expect(s.authorize.searchParams.get('response_mode')).toBe('form_post')
    expect(s.authorize.searchParams.get('scope')).toBe('name email')
    expect(s.authorize.searchParams.get('code_challenge')).toBeNull()
    const { back, fields } = await viaFormPost(s.authorize)
    expect(JSON.parse(fields.user ?? '{}').name).toEqual({
      firstName: 'Steve',
      lastName: 'Wozniak',
    })
    expect((await callback(s.b, back)).location).toBe(`${server.url}/sso-callback`)
    const up = await s.b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response?.status, JSON.stringify(up.json)).toBe('complete')
    const userId = up.json.response.created_user_id as string
    const user = await clerk().users.getUser(userId)
    expect([user.firstName, user.lastName]).toEqual(['Steve', 'Wozniak'])
    // Apple's `email_verified: "true"` (a string) counts as verified.
    expect(user.emailAddresses[0]?.verification?.status).toBe('verified')
    expect(apple.clientSecrets.length).toBe(secretsBefore + 1)
    expect(apple.clientSecrets.at(-1)).toMatchObject({ iss: apple.teamId, sub: apple.clientId })

    // Second authorization: Apple sends no name; the same user signs in, the name kept.
    const s2 = await start('oauth_apple')
    const second = await viaFormPost(s2.authorize)
    expect(second.fields.user).toBeUndefined()
    expect((await callback(s2.b, second.back)).location).toBe(`${server.url}/done`)
    const client = (await s2.b.request('GET', '/v1/client')).json.response
    expect(client.sessions[0].user.id).toBe(userId)
    expect((await clerk().users.getUser(userId)).firstName).toBe('Steve')
  })

  it('Apple: a forged `user` field on a later answer changes nobody', async () => {
    const sub = `001234.${uniq('apple')}`
    apple.accounts.set(sub, { email: `${sub}@icloud.example`, firstName: 'Real', lastName: 'Name' })
    apple.signInAs = sub
    const first = await signInOrUp('oauth_apple', async (a) => (await viaFormPost(a)).back)
    const s = await start('oauth_apple')
    const { back } = await viaFormPost(s.authorize)
    back.searchParams.set('user', JSON.stringify({ name: { firstName: 'Evil', lastName: 'Twin' } }))
    expect((await callback(s.b, back)).location).toBe(`${server.url}/done`)
    expect((await clerk().users.getUser(first.userId)).firstName).toBe('Real')
  })

  it('Apple refuses a client secret from the wrong key: the verification fails, nobody signs in', async () => {
    const list = (await bapi('GET', '/v1/oauth_connections')).json as Record<string, unknown>[]
    const appleId = list.find((c) => c.provider === 'apple')?.id as string
    const other = await generateKeyPair('ES256', { extractable: true })
    const swapped = await bapi('PATCH', `/v1/oauth_connections/${appleId}`, {
      private_key: await exportPKCS8(other.privateKey),
    })
    expect(swapped.status).toBe(200)
    const sub = `001234.${uniq('apple')}`
    apple.accounts.set(sub, { email: `${sub}@icloud.example`, firstName: 'No', lastName: 'Body' })
    apple.signInAs = sub
    const s = await start('oauth_apple')
    const { back } = await viaFormPost(s.authorize)
    expect((await callback(s.b, back)).location).toBe(`${server.url}/sso-callback`)
    const client = (await s.b.request('GET', '/v1/client')).json.response
    expect(client.sign_in.first_factor_verification.status).toBe('failed')
    expect(client.sessions).toEqual([])
    const restored = await bapi('PATCH', `/v1/oauth_connections/${appleId}`, {
      private_key: apple.privateKeyPem,
    })
    expect(restored.status).toBe(200)
  })

  it('Backend API: each provider checks its own settings; secrets and keys never shown', async () => {
    const list = (await bapi('GET', '/v1/oauth_connections')).json as Record<string, unknown>[]
    expect(list.map((c) => c.provider).sort()).toEqual([
      'apple',
      'discord',
      'github',
      'gitlab',
      'google',
      'microsoft',
    ])
    const text = JSON.stringify(list)
    expect(text).not.toContain('PRIVATE KEY')
    expect(text).not.toContain(github.clientSecret)
    expect(list.find((c) => c.provider === 'apple')).toMatchObject({
      team_id: apple.teamId,
      key_id: apple.keyId,
      scopes: 'name email',
    })
    expect(list.find((c) => c.provider === 'github')).toMatchObject({
      issuer: 'https://github.com',
      endpoint_base_url: github.origin,
      scopes: 'read:user user:email',
    })
    const refused = async (body: Record<string, unknown>, id?: string) => {
      const r = id
        ? await bapi('PATCH', `/v1/oauth_connections/${id}`, body)
        : await bapi('POST', '/v1/oauth_connections', body)
      expect(r.status, JSON.stringify(r.json)).toBe(422)
      return r.json.errors[0].meta.param_name as string
    }
    const githubId = list.find((c) => c.provider === 'github')?.id as string
    const googleId = list.find((c) => c.provider === 'google')?.id as string
    const appleId = list.find((c) => c.provider === 'apple')?.id as string
    const msId = list.find((c) => c.provider === 'microsoft')?.id as string
    // The endpoint override is for a stand-in on this machine, never another host.
    expect(await refused({ endpoint_base_url: 'https://evil.example' }, githubId)).toBe(
      'endpoint_base_url',
    )
    expect(await refused({ endpoint_base_url: 'http://127.0.0.1:1/x' }, githubId)).toBe(
      'endpoint_base_url',
    )
    expect(await refused({ issuer: 'https://evil.example' }, githubId)).toBe('issuer')
    // A connection named google trusts only Google's word (or a loopback stand-in's).
    expect(await refused({ issuer: 'https://evil.example' }, googleId)).toBe('issuer')
    expect(await refused({ endpoint_base_url: github.origin }, googleId)).toBe('endpoint_base_url')
    expect(await refused({ issuer: 'https://login.microsoftonline.com/common/v2.0' }, msId)).toBe(
      'issuer',
    )
    expect(await refused({ private_key: 'not a key' }, appleId)).toBe('private_key')
    expect(await refused({ client_secret: 'x' }, appleId)).toBe('client_secret')
    expect(await refused({ team_id: 'lowercase!' }, appleId)).toBe('team_id')
    await bapi('DELETE', `/v1/oauth_connections/${appleId}`)
    expect(
      await refused({
        provider: 'apple',
        client_id: 'x',
        key_id: apple.keyId,
        private_key: apple.privateKeyPem,
        issuer: apple.issuer,
      }),
    ).toBe('team_id')
    expect(await refused({ provider: 'apple', client_id: 'x', issuer: apple.issuer })).toBe(
      'private_key',
    )
    expect(await refused({ provider: 'myspace', client_id: 'x', client_secret: 'y' })).toBe(
      'provider',
    )
    const env = await fetchJson(`${server.url}/v1/environment`)
    expect(
      Object.values(env.json.user_settings.social as Record<string, { name: string }>)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['Discord', 'GitHub', 'GitLab', 'Google', 'Microsoft'])
  })
})
