import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent, hiddenInputs, type Page } from './helpers/browser-agent.js'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const EMAIL = 'ada@example.com'
const PASSWORD = 'analytical engine 1843'
const CALLBACK = 'http://localhost:8787/callback'

/**
 * The hosted forms' CSRF defence over HTTP (security issue "hosted pages must work in the
 * browsers people use"; e2e/hosted-forms.test.ts shows the same in Chromium): Fetch Metadata and
 * Origin refuse what another site sent, and a token bound to the browser's cookie and to the
 * form refuses what no page of ours rendered. Every refusal is a 403 that changes nothing.
 */
describe.each(DIALECTS)('hosted forms: cross-site request forgery (%s)', (dialect) => {
  let server: TestServer
  let clientId: string

  beforeAll(async () => {
    server = await createTestServer(dialect)
    const bapi = (path: string, body: unknown) =>
      fetchJson(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      })
    await bapi('/v1/users', { email_address: [EMAIL], password: PASSWORD })
    const app = await bapi('/v1/oauth_applications', {
      name: 'Acme Analytics',
      redirect_uris: [CALLBACK],
      scopes: 'profile email public_metadata',
    })
    clientId = app.json.client_id
  })
  afterAll(() => server.close())

  /** A raw form post, headers and all, as another page or a script would send it. */
  const post = (agent: BrowserAgent, path: string, form: Record<string, string>, headers = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: agent.cookieHeader(new URL(path, server.url)),
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
    })
  const setsClient = (res: Response) =>
    res.headers.getSetCookie().some((c) => c.startsWith('__client='))
  const authorizeUrl = (extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url')
    return `/oauth/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid email',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
      ...extra,
    })}`
  }
  /** A browser signed in through the hosted form, looking at a consent page. */
  const atConsent = async (extra: Record<string, string> = {}) => {
    const agent = new BrowserAgent(server.url)
    const signIn = await agent.goto(authorizeUrl(extra))
    const page = await agent.fill(signIn, { identifier: EMAIL, password: PASSWORD })
    expect(page.html).toContain('wants to access your account')
    return { agent, page, path: new URL(page.url).pathname }
  }

  it('the pages send Referrer-Policy: same-origin, and each form carries a token for this browser', async () => {
    for (const path of ['/sign-in', '/sign-up', '/user']) {
      const res = await fetch(`${server.url}${path}`)
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin')
    }
    const agent = new BrowserAgent(server.url)
    const signIn = await agent.goto('/sign-in')
    const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('latchkey_csrf='))
    expect(cookie).toMatch(
      /^latchkey_csrf=[\w-]{43}; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
    )
    const token = hiddenInputs(signIn.html).csrf_token
    expect(token).toMatch(/^[\w-]{43}$/)
    // The same browser gets the same token again; the sign-up form gets its own.
    expect(hiddenInputs((await agent.goto('/sign-in')).html).csrf_token).toBe(token)
    const signUp = hiddenInputs((await agent.goto('/sign-up')).html).csrf_token
    expect(signUp).toMatch(/^[\w-]{43}$/)
    expect(signUp).not.toBe(token)
    const { page } = await atConsent()
    expect(page.headers.get('referrer-policy')).toBe('same-origin')
    expect(hiddenInputs(page.html).csrf_token).toMatch(/^[\w-]{43}$/)
  })

  it('a post without its token, or with one rendered for another browser or form, is refused and changes nothing', async () => {
    const agent = new BrowserAgent(server.url)
    const form = await agent.goto('/sign-in')
    const token = hiddenInputs(form.html).csrf_token as string
    const other = new BrowserAgent(server.url)
    const signUpToken = hiddenInputs((await other.goto('/sign-up')).html).csrf_token as string
    const before = await server.snapshot()
    const same = { origin: new URL(server.url).origin, 'sec-fetch-site': 'same-origin' }
    const attempts: [BrowserAgent, string, Record<string, string>][] = [
      [agent, '/sign-in', {}],
      [agent, '/sign-in', { csrf_token: '' }],
      // The token with its first character changed (six data bits; it may already be 'A').
      [agent, '/sign-in', { csrf_token: `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}` }],
      [other, '/sign-in', { csrf_token: token }],
      [new BrowserAgent(server.url), '/sign-in', { csrf_token: token }],
      [other, '/sign-in', { csrf_token: signUpToken }],
    ]
    for (const [who, path, extra] of attempts) {
      const res = await post(who, path, { identifier: EMAIL, password: PASSWORD, ...extra }, same)
      expect(res.status, JSON.stringify(extra)).toBe(403)
      expect(setsClient(res)).toBe(false)
      expect(await res.text()).toContain('This form has expired. Please try again.')
    }
    const signUp = await post(
      other,
      '/sign-up',
      { email_address: 'new@example.com', password: PASSWORD, csrf_token: token },
      same,
    )
    expect(signUp.status).toBe(403)
    expect(await server.snapshot()).toEqual(before)

    // The refused form comes back with a token that works (a browser with no cookie gets one).
    const fresh = new BrowserAgent(server.url)
    const refused: Page = await fresh.submit('/sign-in', { identifier: EMAIL, password: PASSWORD })
    expect(refused.status).toBe(403)
    expect(refused.html).toContain(`value="${EMAIL}"`)
    const done = await fresh.fill(refused, { identifier: EMAIL, password: PASSWORD })
    expect(done.status).toBe(200)
    expect(done.html).toContain(`Signed in as ${EMAIL}`)
  })

  it('a provider button for no enabled connection is refused and starts nothing; the SSO return without a flow says so', async () => {
    const agent = new BrowserAgent(server.url)
    const form = await agent.goto('/sign-in')
    // No connection: the page offers no provider button.
    expect(form.html).not.toContain('name="strategy"')
    const csrf = hiddenInputs(form.html).csrf_token as string
    const before = await server.snapshot()
    const refused = await agent.submit('/sign-in', { strategy: 'oauth_google', csrf_token: csrf })
    expect(refused.status).toBe(422)
    expect(refused.html).toContain('That way of signing in is not available.')
    expect(await server.snapshot()).toEqual(before)
    const back = await agent.goto('/sign-in/sso-callback?redirect_url=javascript:alert(1)')
    expect(back.status).toBe(400)
    expect(back.html).toContain('The sign-in did not complete. Please start again.')
    expect(await server.snapshot()).toEqual(before)
  })

  it('another site is refused even with a valid token: Sec-Fetch-Site cross-site or same-site, a foreign or null Origin', async () => {
    const agent = new BrowserAgent(server.url)
    const token = hiddenInputs((await agent.goto('/sign-in')).html).csrf_token as string
    const form = { identifier: EMAIL, password: PASSWORD, csrf_token: token }
    const own = new URL(server.url).origin
    const before = await server.snapshot()
    for (const headers of [
      { 'sec-fetch-site': 'cross-site', origin: own },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
      { origin: 'https://evil.example' },
      { origin: `http://localhost:${new URL(server.url).port}` },
    ]) {
      const res = await post(agent, '/sign-in', form, headers)
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(setsClient(res)).toBe(false)
      expect(await res.text()).toContain('This form was sent from another site.')
    }
    expect(await server.snapshot()).toEqual(before)
    // A browser without Fetch Metadata or Origin (an old one) is let in by the token alone.
    const old = await post(agent, '/sign-in', form)
    expect(old.status).toBe(200)
    expect(setsClient(old)).toBe(true)
  })

  it('the consent form: refused without its token or from another site; nothing is granted until the user allows', async () => {
    const { agent, page, path } = await atConsent()
    const token = hiddenInputs(page.html).csrf_token as string
    const own = new URL(server.url).origin
    const refusals: [Record<string, string>, Record<string, string>, string][] = [
      [{ decision: 'allow' }, { origin: own, 'sec-fetch-site': 'same-origin' }, 'expired'],
      [
        { decision: 'allow', csrf_token: token },
        { 'sec-fetch-site': 'cross-site' },
        'another site',
      ],
      [{ decision: 'allow', csrf_token: token }, { 'sec-fetch-site': 'same-site' }, 'another site'],
      [{ decision: 'allow', csrf_token: token }, { origin: 'null' }, 'another site'],
    ]
    for (const [form, headers, says] of refusals) {
      const res = await post(agent, path, form, headers)
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toContain(says)
    }
    // A consent page's token is bound to its interaction: the sign-in form's does not do.
    const signInToken = hiddenInputs((await agent.goto('/sign-in')).html).csrf_token as string
    expect((await post(agent, path, { decision: 'allow', csrf_token: signInToken })).status).toBe(
      403,
    )
    // Still waiting for the user: their own Allow goes through.
    const done = await agent.fill(page, { decision: 'allow' })
    expect(done.url.startsWith(`${CALLBACK}?code=`)).toBe(true)
  })
})
