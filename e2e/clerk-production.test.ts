import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type ClerkApp, startClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, userIdByEmail, verifyWithJwks } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { selfSignedCert, startTlsFront } from './helpers/clerk/tls-front.js'

/*
 * Issue #15 §1, production-style: Latchkey over https on its own domain (auth.example.test,
 * behind a TLS terminator as in production), the app on a sibling domain (app.example.test), no
 * proxyUrl: Clerk's SDK goes straight to the host in the publishable key, and loads its bundles
 * from there. Chromium resolves both names to this machine and trusts the self-signed
 * certificate (--host-resolver-rules, --ignore-certificate-errors). The Nylas guide's script,
 * unchanged but for the missing proxyUrl.
 */
const FIXTURE = new URL('./fixtures/clerk-vanilla/', import.meta.url)
const SCRIPTS = new URL('./fixtures/clerk-script/', import.meta.url)

describe.skipIf(!HAVE_CHROMIUM)('Clerk SDKs against Latchkey over https, no proxy', () => {
  let server: TestServer
  let plain: TestServer
  let front: { close(): Promise<void> }
  let apps: ClerkApp[]
  let browser: Browser
  let latchkeyUrl: string
  let appPort: number
  let scriptPort: number

  beforeAll(async () => {
    const tls = selfSignedCert(['auth.example.test', 'app.example.test'])
    const [tlsPort, a, b] = [await freePort(), await freePort(), await freePort()]
    appPort = a
    scriptPort = b
    latchkeyUrl = `https://auth.example.test:${tlsPort}`
    server = await createTestServer('sqlite', {
      env: {
        LATCHKEY_URL: latchkeyUrl,
        LATCHKEY_ALLOWED_ORIGINS: `https://app.example.test:${appPort},https://app.example.test:${scriptPort}`,
      },
    })
    // The plain side, for this test's own Backend API calls and JWKS fetches.
    const address = server.app.server.address()
    plain = {
      ...server,
      url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    }
    front = await startTlsFront({ port: tlsPort, target: plain.url, tls })
    const common = { latchkeyUrl, publishableKey: server.publishableKey, proxyUrl: false as const }
    apps = [
      await startClerkApp({
        ...common,
        root: FIXTURE,
        port: appPort,
        https: tls,
        host: 'app.example.test',
      }),
      await startClerkApp({
        ...common,
        root: SCRIPTS,
        port: scriptPort,
        https: tls,
        host: 'app.example.test',
        env: { VITE_CLERK_PROXY_URL: '', VITE_CLERK_SCRIPT_BASE: latchkeyUrl },
      }),
    ]
    browser = await launchChromium([
      '--host-resolver-rules=MAP auth.example.test 127.0.0.1, MAP app.example.test 127.0.0.1',
      '--ignore-certificate-errors',
    ])
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    for (const app of apps ?? []) await app.close()
    await front?.close()
    await server?.close()
  })

  it("clerk-js 6 and @clerk/ui from Latchkey's https host (script tags), sign-in in Clerk's UI", async () => {
    const email = 'prod-script@example.com'
    const userId = await createUser(plain, { email, password: 'production passphrase 3' })
    const page = await browser.newPage()
    const watch = watchPage(page)
    const ui = new ClerkUI(page)
    await page.goto(`https://app.example.test:${scriptPort}/clerk-js-6.html`)
    await ui.signInWithPassword(email, 'production passphrase 3')
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toBe(`Signed in as ${userId}`)
    watch.assertClean()
    await page.close()
  }, 120_000)

  // Clerk's sign-up on two loaded cores once did not reach "Signed in" in a full CI run: each
  // attempt signs up a fresh address, so a retry is independent.
  let attempt = 0
  it('the publishable key names the https host; the guide signs up, gets a verifiable token, reloads, signs out', {
    retry: 2,
    timeout: 120_000,
  }, async () => {
    const email = `prod-${++attempt}@example.com`
    expect(atob(server.publishableKey.slice('pk_live_'.length))).toBe(
      `${new URL(latchkeyUrl).host}$`,
    )
    const page = await browser.newPage()
    const watch = watchPage(page)
    const fapi: string[] = []
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/')) fapi.push(new URL(r.url()).origin)
    })
    const ui = new ClerkUI(page)
    await page.goto(`https://app.example.test:${appPort}/`)
    await ui.waitForSignIn()
    await ui.goToSignUp()
    await ui.signUp({ emailAddress: email, password: 'production passphrase 3' })
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toBe('Signed in')
    const userId = await userIdByEmail(plain, email)
    await expect.poll(() => page.locator('#sub').textContent()).toBe(userId)
    const token = (await page.locator('#token').textContent()) ?? ''
    // Verified with jose against the JWKS (fetched here from the TLS front's plain side); the
    // issuer is the https URL.
    expect(await verifyWithJwks(plain, token, { issuer: latchkeyUrl })).toMatchObject({
      sub: userId,
      azp: `https://app.example.test:${appPort}`,
    })
    // Every Frontend API call went to Latchkey's own https origin: no proxy.
    expect(new Set(fapi)).toEqual(new Set([latchkeyUrl]))
    await page.reload()
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toBe('Signed in')
    await page.locator('#sign-out').click()
    await expect
      .poll(
        () =>
          page
            .locator('#status')
            .textContent()
            .catch(() => 'navigating'),
        {
          timeout: 30_000,
        },
      )
      .toBe('Signed out')
    watch.assertClean()
    await page.close()
  })
})
