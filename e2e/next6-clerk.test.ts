import { createClerkClient } from '@clerk/backend'
import { encodePublishableKey } from '@latchkey/contracts'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { buildNextApp, NEXT6_APP_DIR, type NextServer, startNextApp } from './helpers/next-app.js'

const PASSWORD = 'correct horse battery staple'
const BUILD_TIMEOUT_MS = 240_000

/**
 * The InstantDB guide's Next.js client component as published, on `@clerk/nextjs` 6.39.8 (Clerk
 * Core 2, the names the guide uses: `SignedIn`, `SignedOut`, `SignInButton`,
 * `useAuth().getToken()`), against Latchkey, in Chromium (issue #15). The app
 * (e2e/fixtures/next6-app) has `<ClerkProvider>` in its layout and `clerkMiddleware()` in
 * proxy.ts, and is configured only through Clerk's documented environment variables.
 *
 * `@clerk/nextjs` 6 loads clerk-js 5 with `@clerk/shared` 3's loader, which builds an https://
 * script URL even from the relative proxy URL; over plain http the app names the script's URL
 * with Clerk's `NEXT_PUBLIC_CLERK_JS_URL`, through the same `/__clerk` rewrite.
 */
describe.skipIf(!HAVE_CHROMIUM)("the InstantDB guide's component on @clerk/nextjs 6", () => {
  let latchkeyPort: number
  let nextPort: number
  let env: Record<string, string>

  beforeAll(async () => {
    latchkeyPort = await freePort()
    nextPort = await freePort()
    const latchkeyUrl = `http://127.0.0.1:${latchkeyPort}`
    env = {
      // Clerk's documented variables, and only those (plus the rewrite's target).
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: encodePublishableKey(`127.0.0.1:${latchkeyPort}`),
      CLERK_SECRET_KEY: 'sk_live_test_provisioned_secret_key_0123456789',
      CLERK_API_URL: latchkeyUrl,
      NEXT_PUBLIC_CLERK_PROXY_URL: '/__clerk',
      NEXT_PUBLIC_CLERK_JS_URL: '/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js',
      NEXT_PUBLIC_CLERK_SIGN_IN_URL: '/sign-in',
      LATCHKEY_URL: latchkeyUrl,
    }
    await buildNextApp(env, NEXT6_APP_DIR)
  }, BUILD_TIMEOUT_MS)

  describe.each(DIALECTS)('against Latchkey on %s', (dialect) => {
    let server: TestServer
    let next: NextServer
    let browser: Browser
    let ctx: BrowserContext
    let page: Page
    let userId: string
    const pageErrors: string[] = []
    const email = `next6-${dialect}@example.com`
    const appUrl = () => next.url

    beforeAll(async () => {
      server = await createTestServer(dialect, {
        port: latchkeyPort,
        env: { LATCHKEY_ALLOWED_ORIGINS: `http://localhost:${nextPort}` },
      })
      expect(server.publishableKey).toBe(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY)
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      userId = (await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })).id
      next = await startNextApp(nextPort, env, NEXT6_APP_DIR)
      browser = await launchChromium()
      ctx = await browser.newContext()
      page = await ctx.newPage()
      page.on('pageerror', (e) => pageErrors.push(String(e.stack ?? e)))
    })

    afterAll(async () => {
      await browser?.close()
      await next?.stop()
      await server?.close()
    })

    const signInButton = () => page.getByRole('button', { name: 'Sign in', exact: true })
    const tokenEl = () => page.locator('#instant-token')
    const apiMe = () =>
      page.evaluate(async () => (await fetch('/api/me', { credentials: 'same-origin' })).json())

    it('signed out: SignedOut shows the SignInButton, with clerk-js 5 loaded through the proxy', async () => {
      const scripts: string[] = []
      page.on('response', (r) => {
        if (r.url().includes('/npm/@clerk/'))
          scripts.push(`${r.status()} ${new URL(r.url()).pathname}`)
      })
      await page.goto(appUrl())
      await signInButton().waitFor({ state: 'visible' })
      expect(await tokenEl().count()).toBe(0)
      expect(scripts[0]).toBe('200 /__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js')
      const version = await page.evaluate(
        () => (window as { Clerk?: { version?: string } }).Clerk?.version,
      )
      expect(version).toMatch(/^5\./)
      expect(await apiMe()).toEqual({ userId: null, sessionId: null, email: null })
    })

    it("the SignInButton leads to Clerk's sign-in UI; signed in, SignedIn shows the guide's component", async () => {
      await signInButton().click()
      await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in')
      await new ClerkUI(page).signInWithPassword(email, PASSWORD)
      await expect.poll(() => new URL(page.url()).pathname).toBe('/')
      await tokenEl().waitFor({ state: 'visible' })
      expect(await signInButton().count()).toBe(0)
    })

    it("useAuth().getToken()'s token verifies against Latchkey's JWKS, sub = the user", async () => {
      await expect.poll(() => tokenEl().getAttribute('data-token')).toMatch(/^ey/)
      expect(await tokenEl().textContent()).toBe('Signed in with Instant through Clerk!')
      const token = (await tokenEl().getAttribute('data-token')) ?? ''
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
      const { payload } = await jwtVerify(token, jwks, { issuer: server.url })
      expect(payload.sub).toBe(userId)
      expect(payload.azp).toBe(appUrl())
      // @clerk/nextjs 6's server side sees the same user: from the cookies, and from the token.
      expect((await apiMe()).userId).toBe(userId)
      const bearer = await fetch(`${appUrl()}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(((await bearer.json()) as { userId: string }).userId).toBe(userId)
    })

    it('signing out with useAuth().signOut() returns to SignedOut', async () => {
      await page.locator('#sign-out').click()
      await signInButton().waitFor({ state: 'visible' })
      expect(await tokenEl().count()).toBe(0)
      expect(await apiMe()).toEqual({ userId: null, sessionId: null, email: null })
      // Still signed out after a reload: the session ended on Latchkey, not just in the page.
      await page.reload()
      await signInButton().waitFor({ state: 'visible' })
      expect(await tokenEl().count()).toBe(0)
      expect(pageErrors).toEqual([])
    })
  })
})
