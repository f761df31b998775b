import { createServer, type Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { fetchJson } from './helpers/browser-client.js'
import { authorize, bapi, CALLBACK } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, freePort, type TestServer } from './helpers/test-server.js'

const ADA = { email: 'ada@example.com', password: 'analytical engine 1843' }

const register = (server: TestServer, body: unknown) =>
  fetchJson(`${server.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

const applications = async (server: TestServer) =>
  Number(
    (
      await server.db.db
        .selectFrom('oauth_applications')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

const enableRegistration = (server: TestServer) =>
  bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
    dynamic_oauth_client_registration: true,
  })

/**
 * Security issue, item 6: dynamic client registration, when an operator turns it on, lets
 * anyone create an application. It is rate-limited per IP, its fields are bounded, it may not
 * make the server fetch URLs, and an application registered this way (nobody vetted it) cannot
 * use Latchkey to redirect a user to its redirect URI unasked.
 */
describe.each(DIALECTS)('dynamic client registration (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect)
    await server.services.users.create({ emailAddress: [ADA.email], password: ADA.password })
    await enableRegistration(server)
  })
  afterAll(() => server.close())

  it('bounds every stored field with invalid_client_metadata, and stores nothing past them', async () => {
    const before = await applications(server)
    const uri = (n: number) =>
      `https://app.example/${'a'.repeat(n - 'https://app.example/'.length)}`
    const cases: [string, Record<string, unknown>][] = [
      ['client_name', { client_name: 'n'.repeat(257) }],
      ['redirect_uris', { redirect_uris: Array.from({ length: 21 }, (_, i) => `${CALLBACK}${i}`) }],
      ['redirect_uris', { redirect_uris: [uri(1025)] }],
      ['client_uri', { client_uri: uri(1025) }],
      ['logo_uri', { logo_uri: uri(1025) }],
      ['policy_uri', { policy_uri: uri(1025) }],
      ['tos_uri', { tos_uri: uri(1025) }],
      ['contacts', { contacts: Array.from({ length: 11 }, (_, i) => `c${i}@app.example`) }],
      ['scope', { scope: `profile ${'email '.repeat(200)}` }],
    ]
    for (const [field, extra] of cases) {
      const r = await register(server, { redirect_uris: [CALLBACK], ...extra })
      expect(r.status, field).toBe(400)
      expect(r.json.error, field).toBe('invalid_client_metadata')
      expect(r.json.error_description, field).toContain(field)
    }
    expect(await applications(server)).toBe(before)
    // At the bounds, it registers.
    const atBounds = await register(server, {
      client_name: 'n'.repeat(256),
      redirect_uris: Array.from({ length: 20 }, (_, i) => `${CALLBACK}${i}`),
      logo_uri: uri(1024),
    })
    expect(atBounds.status).toBe(201)
    expect(await applications(server)).toBe(before + 1)
    // No RFC 7592 management credential (its read endpoint would show the stored hash).
    expect(atBounds.json.registration_access_token).toBeUndefined()
    expect(atBounds.json.registration_client_uri).toBeUndefined()
  })

  it('refuses metadata that would make the server fetch a URL of the registrant’s choosing', async () => {
    // Counts connections, not requests: an https:// URL reaches it as a TLS handshake.
    let hits = 0
    const listener: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify([CALLBACK]))
    })
    listener.on('connection', () => {
      hits += 1
    })
    const port = await freePort()
    await new Promise<void>((r) => listener.listen(port, '127.0.0.1', r))
    try {
      const before = await applications(server)
      for (const field of ['sector_identifier_uri', 'jwks_uri']) {
        const r = await register(server, {
          redirect_uris: [CALLBACK],
          [field]: `https://127.0.0.1:${port}/internal`,
        })
        expect(hits, `${field} fetched`).toBe(0)
        expect(r.status, field).toBe(400)
        expect(r.json.error, field).toBe('invalid_client_metadata')
      }
      expect(await applications(server)).toBe(before)
    } finally {
      await new Promise((r) => listener.close(r))
    }
  })

  describe('an unvetted application’s authorization errors', () => {
    let registered: string
    let vetted: string

    beforeAll(async () => {
      const r = await register(server, {
        client_name: 'Registered Anyone',
        redirect_uris: [CALLBACK],
        token_endpoint_auth_method: 'none',
      })
      expect(r.status).toBe(201)
      registered = r.json.client_id
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      vetted = (
        await clerk.oauthApplications.create({
          name: 'Vetted',
          redirectUris: [CALLBACK],
          public: true,
        })
      ).clientId
    })

    const authorizeUrl = (params: Record<string, string>) =>
      `${server.url}/oauth/authorize?${new URLSearchParams({
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid',
        state: 'st',
        ...params,
      })}`

    /** The page shown instead of the redirect, and the link the user may click. */
    async function held(params: Record<string, string>) {
      const res = await fetch(authorizeUrl({ client_id: registered, ...params }), {
        redirect: 'manual',
      })
      expect(res.headers.get('location')).toBeNull()
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('Continue to localhost:8787')
      expect(html).not.toContain('<script')
      return html
    }
    const href = (html: string) =>
      new URL((/<a href="([^"]*)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&'))

    it('stay on Latchkey (missing PKCE, invalid scope, prompt=none) until the user clicks through', async () => {
      const pkce = href(await held({}))
      expect(pkce.origin + pkce.pathname).toBe(CALLBACK)
      expect(pkce.searchParams.get('error')).toBe('invalid_request')
      expect(pkce.searchParams.get('state')).toBe('st')
      expect(pkce.searchParams.get('iss')).toBe(`${server.url}/oauth`)

      const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier())
      const pkceParams = { code_challenge: challenge, code_challenge_method: 'S256' }
      const scope = href(await held({ ...pkceParams, scope: 'openid private_metadata' }))
      expect(scope.searchParams.get('error')).toBe('invalid_scope')
      const silent = href(await held({ ...pkceParams, prompt: 'none' }))
      expect(silent.searchParams.get('error')).toBe('login_required')
    })

    it('keep the response mode: fragment in the link, form_post as a form the user submits', async () => {
      const fragment = href(await held({ response_mode: 'fragment' }))
      expect(fragment.search).toBe('')
      expect(new URLSearchParams(fragment.hash.slice(1)).get('error')).toBe('invalid_request')
      const post = await held({ response_mode: 'form_post' })
      expect(post).toMatch(new RegExp(`<form method="post" action="${CALLBACK}">`))
      expect(post).toContain('<input type="hidden" name="error" value="invalid_request">')
      expect(post).toMatch(/<button type="submit">Continue to localhost:8787<\/button>/)
    })

    it('the user’s own refusal at consent still returns at once; a vetted application redirects as usual', async () => {
      const verifier = oauth.generateRandomCodeVerifier()
      const denied = await authorize(
        new BrowserAgent(server.url),
        authorizeUrl({
          client_id: registered,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        }),
        ADA,
        { consent: 'deny' },
      )
      const back = new URL(denied.url)
      expect(back.origin + back.pathname).toBe(CALLBACK)
      expect(back.searchParams.get('error')).toBe('access_denied')

      const res = await fetch(authorizeUrl({ client_id: vetted }), { redirect: 'manual' })
      expect(res.status).toBe(303)
      const location = new URL(res.headers.get('location') as string)
      expect(location.origin + location.pathname).toBe(CALLBACK)
      expect(location.searchParams.get('error')).toBe('invalid_request')
    })
  })
})

describe.each(DIALECTS)('dynamic client registration rate limit (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_RATE_LIMIT: 'on' } })
    await enableRegistration(server)
  })
  afterAll(() => server.close())

  it('allows 10 registrations per IP address and hour, then answers 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++)
      expect((await register(server, { redirect_uris: [CALLBACK] })).status, `#${i + 1}`).toBe(201)
    const before = await applications(server)
    const refused = await register(server, { redirect_uris: [CALLBACK] })
    expect(refused.status).toBe(429)
    expect(refused.json.error).toBe('temporarily_unavailable')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3000)
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await applications(server)).toBe(before)
    // Other OAuth endpoints are not counted against it.
    const discovery = await fetchJson(`${server.url}/oauth/.well-known/openid-configuration`)
    expect(discovery.status).toBe(200)
  })
})
