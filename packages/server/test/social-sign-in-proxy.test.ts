import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'
import { UpstreamIdp } from './helpers/upstream-idp.js'

const STRATEGY = 'oauth_custom_acme'
const APP = 'http://app.example.test:5173'

// Issue #18: clerk-js behind the app's `/__clerk` proxy keeps its client cookie on the app's
// origin; the provider sends the browser to Latchkey's own callback, without that cookie. The
// callback forwards the response once to the proxy, where the cookie is, and nowhere else.
describe.each(DIALECTS)('social sign-in behind the app’s proxy (%s)', (dialect) => {
  let server: TestServer
  let idp: UpstreamIdp
  let n = 0

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
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
  })

  /** A browser on the app's page, reaching Latchkey through the app's proxy (same-origin). */
  const proxied = (headers: Record<string, string> = {}) =>
    new BrowserClient(server.url, APP, { 'sec-fetch-site': 'same-origin', ...headers })

  async function start(b: BrowserClient) {
    const r = await b.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: `${APP}/sso-callback`,
      action_complete_redirect_url: `${APP}/done`,
    })
    expect(r.status).toBe(200)
    return new URL(r.json.response.first_factor_verification.external_verification_redirect_url)
  }

  async function atProvider(authorize: URL, email: string): Promise<URL> {
    const sub = `proxy-${dialect}-${++n}`
    idp.accounts.set(sub, { email, email_verified: true })
    idp.signInAs = sub
    const page = await new BrowserAgent(idp.issuer).goto(authorize.href)
    return new URL(page.url)
  }

  /** Latchkey's own callback, reached by a top-level navigation that has no cookie of the app. */
  const direct = async (back: URL) => {
    const res = await new BrowserClient(server.url).send('GET', back.pathname + back.search)
    return { status: res.status, location: res.headers.get('location'), body: await res.text() }
  }

  it('forwards the callback once to the proxy, where the flow’s cookie completes it', async () => {
    const b = proxied()
    const back = await atProvider(await start(b), `proxy-new-${dialect}@example.com`)
    const hop = await direct(back)
    expect(hop.status).toBe(303)
    const to = new URL(hop.location ?? '')
    expect(to.origin + to.pathname).toBe(`${APP}/__clerk/v1/oauth_callback`)
    expect(to.searchParams.get('state')).toBe(back.searchParams.get('state'))
    expect(to.searchParams.get('code')).toBe(back.searchParams.get('code'))
    expect(to.searchParams.get('latchkey_proxied')).toBe('1')
    // The app's proxy strips /__clerk and sends the browser's (app-origin) cookie along.
    const res = await b.send('GET', `/v1/oauth_callback${to.search}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/sso-callback`)
    const client = (await b.request('GET', '/v1/client')).json.response
    expect(client.sign_in.first_factor_verification).toMatchObject({
      status: 'transferable',
      strategy: STRATEGY,
    })
  })

  it('connecting an account from the profile through the proxy hops there too, and links it', async () => {
    // Signed in through the proxy (a sign-up by the provider), then "Connect" another account.
    const b = proxied()
    const first = new URL(
      (await direct(await atProvider(await start(b), `proxy-connect-${dialect}@example.com`)))
        .location ?? '',
    )
    expect((await b.send('GET', `/v1/oauth_callback${first.search}`)).status).toBe(303)
    const up = await b.request('POST', '/v1/client/sign_ups', { transfer: 'true' })
    expect(up.json.response.status).toBe('complete')
    const userId = up.json.response.created_user_id as string
    const connect = await b.request('POST', '/v1/me/external_accounts', {
      strategy: STRATEGY,
      redirect_url: `${APP}/profile`,
    })
    expect(connect.status, JSON.stringify(connect.json)).toBe(200)
    const authorize = new URL(connect.json.response.verification.external_verification_redirect_url)
    const back = await atProvider(authorize, `proxy-connect-other-${dialect}@example.com`)
    const hop = await direct(back)
    expect(hop.status).toBe(303)
    const to = new URL(hop.location ?? '')
    expect(to.origin + to.pathname).toBe(`${APP}/__clerk/v1/oauth_callback`)
    const res = await b.send('GET', `/v1/oauth_callback${to.search}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe(`${APP}/profile`)
    const user = await fetchJson(`${server.url}/v1/users/${userId}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(user.json.external_accounts).toHaveLength(2)
  })

  it('another browser at the proxy (login CSRF) is refused, and nothing is forwarded twice', async () => {
    const b = proxied()
    const back = await atProvider(await start(b), `proxy-csrf-${dialect}@example.com`)
    const hop = new URL((await direct(back)).location ?? '')
    // The victim's browser, with a client of its own on the app's origin.
    const victim = proxied()
    await victim.request('GET', '/v1/client')
    await victim.request('POST', '/v1/client/sign_ins', {
      strategy: STRATEGY,
      redirect_url: `${APP}/sso-callback`,
    })
    const refused = await victim.send('GET', `/v1/oauth_callback${hop.search}`)
    expect(refused.status).toBe(400)
    expect(JSON.parse(await refused.text()).errors[0].code).toBe('verification_client_mismatch')
    // Without the app's cookie a forwarded callback is not forwarded again.
    const again = await direct(new URL(`${server.url}/v1/oauth_callback${hop.search}`))
    expect(again.status).toBe(400)
    expect(JSON.parse(again.body).errors[0].code).toBe('verification_client_mismatch')
    // The flow's own browser still completes it.
    const res = await b.send('GET', `/v1/oauth_callback${hop.search}`)
    expect(res.status).toBe(303)
  })

  it('a Clerk-Proxy-Url off the allowed origins is ignored: no forward to it', async () => {
    const b = proxied({ 'clerk-proxy-url': 'https://evil.example/__clerk' })
    const back = await atProvider(await start(b), `proxy-evil-${dialect}@example.com`)
    const res = await direct(back)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).errors[0].code).toBe('verification_client_mismatch')
  })

  it('a Clerk-Proxy-Url naming another path of an allowed app is ignored: no forward there', async () => {
    // The code and state would land on a page the caller chose (one that leaks its URL, say),
    // and Latchkey redeems the code for whoever holds the flow.
    const b = proxied({ 'clerk-proxy-url': `${APP}/any/chosen/path` })
    const back = await atProvider(await start(b), `proxy-path-${dialect}@example.com`)
    const res = await direct(back)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).errors[0].code).toBe('verification_client_mismatch')
  })

  it('a flow started directly against Latchkey is never forwarded', async () => {
    const b = new BrowserClient(server.url, APP)
    const back = await atProvider(await start(b), `direct-${dialect}@example.com`)
    const res = await direct(back)
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).errors[0].code).toBe('verification_client_mismatch')
    expect((await b.send('GET', back.pathname + back.search)).status).toBe(303)
  })
})
