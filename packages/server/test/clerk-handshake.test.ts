import { createClerkClient, verifyToken } from '@clerk/backend'
import { AuthStatus } from '@clerk/backend/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cookieSuffix } from '../src/handshake/handshake-cookies.js'
import { BrowserClient, type Json } from './helpers/browser-client.js'
import { SiteBrowser } from './helpers/site-browser.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://app.example.test:3000'

/**
 * Clerk's handshake exactly as `@clerk/backend`'s `authenticateRequest` drives it (issue #15):
 * the SDK, unchanged, decides when to send the browser to `/v1/client/handshake`, and resolves
 * what comes back (the nonce through `GET /v1/clients/handshake_payload`, or the older token).
 */
describe.each(DIALECTS)("Clerk's handshake with @clerk/backend (%s)", (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  let options: Parameters<typeof clerk.authenticateRequest>[1]

  beforeAll(async () => {
    server = await createTestServer(dialect, {
      fake: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: APP },
    })
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    // The publishable key names Latchkey's host; over plain http the SDK reaches it through an
    // absolute proxyUrl (its own default would be https://<host>).
    options = {
      publishableKey: server.publishableKey,
      secretKey: server.secretKey,
      proxyUrl: server.url,
      authorizedParties: [APP],
    }
  })
  afterAll(() => server.close())

  /** A browser signed in to Latchkey from the app; its Frontend API jar is the client's. */
  async function signedInBrowser(email: string) {
    const fapi = new BrowserClient(server.url, APP)
    const sessionId = await fapi.signUp(email, 'correct horse battery staple')
    const site = new SiteBrowser()
    site.jars.set(new URL(server.url).host, fapi.cookies)
    return { fapi, site, sessionId }
  }

  /** The app's server: `authenticateRequest` on a navigation, its Set-Cookie kept by the browser. */
  async function appRequest(site: SiteBrowser, url: string) {
    const state = await clerk.authenticateRequest(
      new Request(url, { headers: site.navigationHeaders(url) }),
      options,
    )
    site.store(url, state.headers.getSetCookie())
    return state
  }

  it('sets __client_uat on Frontend API answers: the client’s second while signed in, else 0', async () => {
    const { fapi } = await signedInBrowser('uat@example.com')
    const uat = Number(fapi.cookies.get('__client_uat'))
    const client = (await fapi.get('/v1/client')).json.client
    expect(uat).toBe(Math.floor(client.updated_at / 1000))
    expect(uat).toBeGreaterThan(0)
    await fapi.send('POST', '/v1/client?_method=DELETE')
    expect(fapi.cookies.get('__client_uat')).toBe('0')
  })

  it('__client_uat without __session: handshake, nonce, signed in with cookies for the app', async () => {
    const { fapi, site, sessionId } = await signedInBrowser('ada@example.com')
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')

    const first = await appRequest(site, `${APP}/dashboard?tab=1`)
    expect(first.status).toBe(AuthStatus.Handshake)
    const handshake = new URL(first.headers.get('location') ?? '')
    expect(handshake.origin + handshake.pathname).toBe(`${server.url}/v1/client/handshake`)
    expect(handshake.searchParams.get('redirect_url')).toBe(`${APP}/dashboard?tab=1`)
    expect(handshake.searchParams.get('format')).toBe('nonce')
    expect(handshake.searchParams.get('suffixed_cookies')).toBe('false')
    expect(handshake.searchParams.get('__clerk_api_version')).toMatch(/^\d{4}-\d{2}-\d{2}$/)

    const hop = await site.hop(handshake.href)
    expect(hop.status).toBe(307)
    expect(hop.headers.get('cache-control')).toBe('no-store')
    const back = new URL(hop.headers.get('location') ?? '')
    expect(back.origin + back.pathname).toBe(`${APP}/dashboard`)
    expect(back.searchParams.get('tab')).toBe('1')
    const nonce = back.searchParams.get('__clerk_handshake_nonce') ?? ''
    expect(nonce).toMatch(/^[\w-]{40,}$/)

    const second = await appRequest(site, back.href)
    expect(second.status).toBe(AuthStatus.SignedIn)
    const auth = second.toAuth()
    expect(auth?.sessionId).toBe(sessionId)
    const cookies = second.headers.getSetCookie()
    expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['__client_uat', '__session'])
    for (const c of cookies) {
      expect(c).toContain('Path=/')
      expect(c).toContain('SameSite=Lax')
      expect(c).not.toMatch(/Domain=/i)
      expect(c).not.toMatch(/HttpOnly/i)
    }
    // The session token is real, for this app (azp), verifiable against Latchkey's JWKS.
    const token = site.cookie(APP, '__session') ?? ''
    const claims = await verifyToken(token, {
      secretKey: server.secretKey,
      apiUrl: server.url,
      authorizedParties: [APP],
    })
    expect(claims.sid).toBe(sessionId)
    expect(claims.azp).toBe(APP)

    // Now the cookies alone sign the browser in, without another handshake.
    const third = await appRequest(site, `${APP}/dashboard`)
    expect(third.status).toBe(AuthStatus.SignedIn)
    expect(third.headers.getSetCookie()).toEqual([])
  })

  it('a nonce is redeemed once: a replayed URL signs nobody in', async () => {
    const { fapi, site } = await signedInBrowser('replay@example.com')
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')
    const first = await appRequest(site, `${APP}/`)
    const hop = await site.hop(first.headers.get('location') ?? '')
    const back = hop.headers.get('location') ?? ''
    expect((await appRequest(site, back)).status).toBe(AuthStatus.SignedIn)

    const attacker = new SiteBrowser()
    const replay = await appRequest(attacker, back)
    expect(replay.status).toBe(AuthStatus.SignedOut)
    expect(attacker.cookie(APP, '__session')).toBeUndefined()
    const direct = await fetch(
      `${server.url}/v1/clients/handshake_payload?nonce=${new URL(back).searchParams.get('__clerk_handshake_nonce')}`,
      { headers: { authorization: `Bearer ${server.secretKey}` } },
    )
    expect(direct.status).toBe(404)
    expect(((await direct.json()) as Json).errors[0].code).toBe('resource_not_found')
  })

  it('a nonce expires after a minute', async () => {
    const { fapi, site } = await signedInBrowser('late@example.com')
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')
    const first = await appRequest(site, `${APP}/`)
    const back = (await site.hop(first.headers.get('location') ?? '')).headers.get('location')
    const nonce = new URL(back ?? '').searchParams.get('__clerk_handshake_nonce')
    if (!('advance' in server.clock)) throw new Error('needs the fake clock')
    server.clock.advance(61_000)
    try {
      const res = await fetch(`${server.url}/v1/clients/handshake_payload?nonce=${nonce}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      expect(res.status).toBe(404)
    } finally {
      server.clock.advance(-61_000)
    }
  })

  it('the payload needs the secret key', async () => {
    const res = await fetch(`${server.url}/v1/clients/handshake_payload?nonce=abc`)
    expect(res.status).toBe(401)
  })

  it('a signed-out browser comes back signed out, its stale cookies cleared', async () => {
    const { fapi, site } = await signedInBrowser('gone@example.com')
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')
    site.setCookie(APP, '__session', 'stale')
    await fapi.send('POST', '/v1/client?_method=DELETE')

    const hop = await site.hop(
      `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url: `${APP}/p`, format: 'nonce' })}`,
    )
    const back = hop.headers.get('location') ?? ''
    const state = await appRequest(site, back)
    expect(state.status).toBe(AuthStatus.SignedOut)
    expect(site.cookie(APP, '__session')).toBeUndefined()
    expect(site.cookie(APP, '__client_uat')).toBe('0')
    // And then the app sees a signed-out browser without any further handshake.
    expect((await appRequest(site, `${APP}/p`)).status).toBe(AuthStatus.SignedOut)
  })

  it('a session that ends between the handshake and the redemption yields signed-out cookies', async () => {
    const { fapi, site, sessionId } = await signedInBrowser('ended@example.com')
    const hop = await site.hop(
      `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url: `${APP}/`, format: 'nonce' })}`,
    )
    await fapi.post(`/v1/client/sessions/${sessionId}/end`)
    const state = await appRequest(site, hop.headers.get('location') ?? '')
    expect(state.status).toBe(AuthStatus.SignedOut)
  })

  it('suffixed cookies: both names, the suffix of the publishable key', async () => {
    const { site } = await signedInBrowser('suffix@example.com')
    const hop = await site.hop(
      `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url: `${APP}/`, format: 'nonce', suffixed_cookies: 'true' })}`,
    )
    const nonce = new URL(hop.headers.get('location') ?? '').searchParams.get(
      '__clerk_handshake_nonce',
    )
    const payload = await clerk.clients.getHandshakePayload({ nonce: nonce ?? '' })
    const names = payload.directives.map((d) => d.split('=')[0])
    const sfx = cookieSuffix(server.publishableKey)
    expect(names).toContain(`__session_${sfx}`)
    expect(names).toContain(`__client_uat_${sfx}`)
    expect(names).toContain('__session')
  })

  it('format=token (older SDKs): a signed handshake token the SDK verifies, never a session token', async () => {
    const { fapi, site, sessionId } = await signedInBrowser('token@example.com')
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')
    const hop = await site.hop(
      `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url: `${APP}/t` })}`,
    )
    const back = new URL(hop.headers.get('location') ?? '')
    const jwt = back.searchParams.get('__clerk_handshake') ?? ''
    expect(jwt.split('.')).toHaveLength(3)
    const state = await appRequest(site, back.href)
    expect(state.status).toBe(AuthStatus.SignedIn)
    expect(state.toAuth()?.sessionId).toBe(sessionId)
    // The handshake token names no subject or session: no session-token check passes it.
    await expect(
      verifyToken(jwt, { secretKey: server.secretKey, apiUrl: server.url }),
    ).rejects.toThrow()
  })

  it('redirect_url must be on an allowed origin; nothing is stored otherwise', async () => {
    const { site } = await signedInBrowser('open@example.com')
    const before = await server.db.db
      .selectFrom('handshake_nonces')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    for (const redirect_url of [
      'https://evil.example/steal',
      'http://app.example.test:3001/',
      'javascript:alert(1)',
      '/relative',
      'http://user:pw@app.example.test:3000/',
      // Scheme-relative, backslashes and userinfo tricks: each parses to another host, or fails.
      '//evil.example/',
      'http:\\\\evil.example/',
      'http:/evil.example/',
      'http://evil.example\\@app.example.test:3000/',
      'http://app.example.test:3000@evil.example/',
      'http://app.example.test:3000%2f@evil.example/',
      'http://app.example.test:3000.evil.example/',
    ]) {
      const res = await site.hop(
        `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url, format: 'nonce' })}`,
      )
      expect(res.status, redirect_url).toBe(422)
      expect(res.headers.get('location')).toBeNull()
      const body = (await res.json()) as Json
      expect(body.errors[0].meta.param_name).toBe('redirect_url')
    }
    const missing = await site.hop(`${server.url}/v1/client/handshake`)
    expect(missing.status).toBe(422)
    const after = await server.db.db
      .selectFrom('handshake_nonces')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(after.n)).toBe(Number(before.n))
  })

  it('a redirect_url that parses to the app goes back there, to the URL as parsed', async () => {
    const { site } = await signedInBrowser('parsed@example.com')
    for (const redirect_url of [
      'http://app.example.test:3000\\@evil.example/',
      'http://%61pp.example.test:3000/',
      'HTTP://APP.EXAMPLE.TEST:3000/',
      'http://app.example.test:3000/\r\nSet-Cookie: x=y',
      'http://app.example.test:3000/\t@evil.example',
    ]) {
      const res = await site.hop(
        `${server.url}/v1/client/handshake?${new URLSearchParams({ redirect_url, format: 'nonce' })}`,
      )
      expect(res.status, redirect_url).toBe(307)
      const location = res.headers.get('location') ?? ''
      expect(new URL(location).origin, redirect_url).toBe(APP)
      expect(location, redirect_url).not.toMatch(/[\r\n\t\\]/)
    }
  })

  it('a development key (pk_test_): one handshake hands out __clerk_db_jwt, then no more', async () => {
    const dev = {
      ...options,
      publishableKey: server.publishableKey.replace(/^pk_live_/, 'pk_test_'),
    }
    const devRequest = async (site: SiteBrowser, url: string) => {
      const state = await clerk.authenticateRequest(
        new Request(url, { headers: site.navigationHeaders(url) }),
        dev,
      )
      site.store(url, state.headers.getSetCookie())
      return state
    }
    const { site, sessionId } = await signedInBrowser('dev@example.com')
    const first = await devRequest(site, `${APP}/dev`)
    expect(first.status).toBe(AuthStatus.Handshake)
    expect(first.reason).toBe('dev-browser-missing')
    const back = (await site.hop(first.headers.get('location') ?? '')).headers.get('location')
    const second = await devRequest(site, back ?? '')
    expect(second.status).toBe(AuthStatus.SignedIn)
    expect(second.toAuth()?.sessionId).toBe(sessionId)
    // A development instance's SDK sends the browser on to the URL without the nonce.
    expect(second.headers.get('location')).toBe(`${APP}/dev`)
    expect(site.cookie(APP, '__clerk_db_jwt')).toMatch(/^dvb_/)
    const third = await devRequest(site, `${APP}/dev`)
    expect(third.status).toBe(AuthStatus.SignedIn)
    expect(third.headers.get('location')).toBeNull()

    // A browser that never signed in: one handshake, then signed out without another.
    const stranger = new SiteBrowser()
    const a = await devRequest(stranger, `${APP}/dev`)
    expect(a.status).toBe(AuthStatus.Handshake)
    const b = await devRequest(
      stranger,
      (await stranger.hop(a.headers.get('location') ?? '')).headers.get('location') ?? '',
    )
    expect(b.status).toBe(AuthStatus.SignedOut)
    expect(stranger.cookie(APP, '__clerk_db_jwt')).toMatch(/^dvb_/)
    const c = await devRequest(stranger, `${APP}/dev`)
    expect(c.status).toBe(AuthStatus.SignedOut)
    expect(c.headers.get('location')).toBeNull()
  })

  it('an expired session token with a live client goes through the handshake and stays signed in', async () => {
    // Signed in three minutes ago, its token minted two minutes ago: expired for the SDK, whose
    // clock is real (the server's is moved back and forth).
    if (!('advance' in server.clock)) throw new Error('needs the fake clock')
    const clock = server.clock
    clock.advance(-180_000)
    const { fapi, site, sessionId } = await signedInBrowser('expired@example.com').finally(() =>
      clock.advance(180_000),
    )
    site.setCookie(APP, '__client_uat', fapi.cookies.get('__client_uat') ?? '')
    clock.advance(-120_000)
    site.setCookie(
      APP,
      '__session',
      await fapi.token(sessionId).finally(() => clock.advance(120_000)),
    )
    const stale = await appRequest(site, `${APP}/`)
    expect(stale.status).toBe(AuthStatus.Handshake)
    expect(stale.reason).toMatch(/^session-token-expired/)
    const back = (await site.hop(stale.headers.get('location') ?? '')).headers.get('location')
    const fresh = await appRequest(site, back ?? '')
    expect(fresh.status).toBe(AuthStatus.SignedIn)
    expect(fresh.toAuth()?.sessionId).toBe(sessionId)
  })
})
