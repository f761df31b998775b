import { createServer, type Server } from 'node:http'
import * as oauth from 'oauth4webapi'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../packages/server/test/helpers/browser-client.js'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

const ADA = { email: 'ada@example.com', password: 'analytical engine 1843' }

type Received = { method: string; url: URL; body: URLSearchParams }

/**
 * The OAuth provider's pages in Chromium, where only a browser can judge them: form_post still
 * submits itself under the CSP the provider's responses now carry, and an unvetted
 * application's error stays on Latchkey until the user clicks through (security issue,
 * items 4 and 6). The relying party is a real HTTP server on another origin.
 */
describe.skipIf(!HAVE_CHROMIUM)('OAuth pages in Chromium', () => {
  let server: TestServer
  let rp: Server
  let callback: string
  let browser: Browser
  let context: BrowserContext
  const received: Received[] = []

  beforeAll(async () => {
    server = await createTestServer('sqlite')
    const port = await freePort()
    callback = `http://127.0.0.1:${port}/callback`
    rp = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8')
      })
      req.on('end', () => {
        // Chromium asks for /favicon.ico too.
        if (!req.url?.startsWith('/callback')) return res.end()
        received.push({
          method: req.method ?? '',
          url: new URL(req.url ?? '/', callback),
          body: new URLSearchParams(body),
        })
        res.setHeader('content-type', 'text/html')
        res.end('<!doctype html><title>back at the app</title>')
      })
    })
    await new Promise<void>((r) => rp.listen(port, '127.0.0.1', r))
    await server.services.users.create({ emailAddress: [ADA.email], password: ADA.password })
    // The browser is signed in to Latchkey: its __client cookie, from a Frontend API sign-in.
    const fapi = new BrowserClient(server.url, server.url)
    await fapi.signIn(ADA.email, ADA.password)
    browser = await launchChromium()
    context = await browser.newContext()
    await context.addCookies([
      { name: '__client', value: fapi.cookies.get('__client') as string, url: server.url },
    ])
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => rp?.close(r))
    await server?.close()
  })

  const authorizeUrl = (params: Record<string, string>) =>
    `${server.url}/oauth/authorize?${new URLSearchParams({
      redirect_uri: callback,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      ...params,
    })}`

  it('response_mode=form_post submits the code to the application under the provider’s CSP', async () => {
    // Without a consent screen: the consent page is another part of the security work.
    const app = (await (
      await fetch(`${server.url}/v1/oauth_applications`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          name: 'Form Post',
          redirect_uris: [callback],
          consent_screen_enabled: false,
        }),
      })
    ).json()) as { client_id: string }
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
    })
    const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier())
    await page.goto(
      authorizeUrl({
        client_id: app.client_id,
        response_mode: 'form_post',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    )
    await page.waitForURL(callback, { timeout: 10_000 })
    const post = received.at(-1)
    expect(post?.method).toBe('POST')
    expect(post?.body.get('code')).toEqual(expect.any(String))
    expect(post?.body.get('state')).toBe('st')
    expect(violations).toEqual([])
    await page.close()
  })

  it('an unvetted application’s error stays on Latchkey until the user clicks through', async () => {
    await fetch(`${server.url}/v1/instance/oauth_application_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dynamic_oauth_client_registration: true }),
    })
    const registered = (await (
      await fetch(`${server.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [callback], token_endpoint_auth_method: 'none' }),
      })
    ).json()) as { client_id: string }
    const before = received.length
    const page = await context.newPage()
    // No PKCE challenge: an error oidc-provider would have redirected at once.
    await page.goto(authorizeUrl({ client_id: registered.client_id }))
    expect(new URL(page.url()).origin).toBe(server.url)
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid_request')
    expect(received.length).toBe(before)
    await page.getByRole('link', { name: `Continue to ${new URL(callback).host}` }).click()
    await page.waitForURL((u) => u.href.startsWith(callback), { timeout: 10_000 })
    const back = received.at(-1)
    expect(back?.method).toBe('GET')
    expect(back?.url.searchParams.get('error')).toBe('invalid_request')
    expect(back?.url.searchParams.get('state')).toBe('st')
    await page.close()
  })
})
