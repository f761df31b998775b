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
import { buildNextApp, type NextServer, startNextApp } from './helpers/next-app.js'

const PASSWORD = 'correct horse battery staple'
const BUILD_TIMEOUT_MS = 240_000

/**
 * A Next.js App Router app with `@clerk/nextjs`, unchanged (issue #15), in Chromium: Clerk's
 * middleware, `auth()` and `currentUser()` in a server component and a route handler,
 * `auth.protect()`, the InstantDB guide's client component, Clerk's sign-in UI, and Clerk's
 * handshake when the session cookie is gone. Configured only through Clerk's environment
 * variables; over plain http the Frontend API is the relative proxy URL `/__clerk`, which the
 * app's `next.config.mjs` rewrites to Latchkey.
 *
 * Built once (`next build`, about 40 s here; `next dev` compiles each page on first request and
 * is slower over a whole run) and started with `next start` against each dialect's server, on
 * the same Latchkey URL, so the publishable key compiled into the client stays right.
 */
describe.skipIf(!HAVE_CHROMIUM)('@clerk/nextjs App Router app in Chromium', () => {
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
      NEXT_PUBLIC_CLERK_SIGN_IN_URL: '/sign-in',
      LATCHKEY_URL: latchkeyUrl,
    }
    await buildNextApp(env)
  }, BUILD_TIMEOUT_MS)

  describe.each(DIALECTS)('against Latchkey on %s', (dialect) => {
    let server: TestServer
    let next: NextServer
    let browser: Browser
    let ctx: BrowserContext
    let page: Page
    let userId: string
    const email = `next-${dialect}@example.com`
    const appUrl = () => next.url

    beforeAll(async () => {
      server = await createTestServer(dialect, {
        port: latchkeyPort,
        env: { LATCHKEY_ALLOWED_ORIGINS: `http://localhost:${nextPort}` },
      })
      expect(server.secretKey).toBe(env.CLERK_SECRET_KEY)
      expect(server.publishableKey).toBe(env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY)
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      userId = (await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })).id
      next = await startNextApp(nextPort, env)
      browser = await launchChromium()
      ctx = await browser.newContext()
      page = await ctx.newPage()
    })

    afterAll(async () => {
      await browser?.close()
      await next?.stop()
      await server?.close()
    })

    const serverUser = async () => {
      const p = page.locator('#server-user')
      return { id: await p.getAttribute('data-user-id'), text: await p.textContent() }
    }
    const apiMe = () =>
      page.evaluate(async () => (await fetch('/api/me', { credentials: 'same-origin' })).json())

    it('signed out: auth.protect() sends the browser to the sign-in page', async () => {
      await page.goto(`${appUrl()}/protected`)
      await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in')
      expect(new URL(page.url()).searchParams.get('redirect_url')).toBe(`${appUrl()}/protected`)
      await page.goto(appUrl())
      expect(await serverUser()).toEqual({ id: '', text: 'Signed out' })
      expect(await apiMe()).toEqual({ userId: null, sessionId: null, email: null })
    })

    it('the handshake through the /__clerk proxy signs in a browser that has a client and no __session', async () => {
      // Signed in through the Frontend API (via the app's proxy), without Clerk's UI: the
      // browser holds __client and __client_uat on the app's host, and no __session yet.
      const other = await browser.newContext()
      try {
        const signIn = await other.request.post(`${appUrl()}/__clerk/v1/client/sign_ins`, {
          form: { identifier: email, password: PASSWORD, strategy: 'password' },
          headers: { origin: appUrl() },
        })
        expect(signIn.status()).toBe(200)
        const names = (await other.cookies(appUrl())).map((c) => c.name).sort()
        expect(names).toEqual(['__client', '__client_uat'])
        const tab = await other.newPage()
        const hops: string[] = []
        tab.on('request', (r) => {
          if (r.isNavigationRequest()) hops.push(new URL(r.url()).pathname)
        })
        await tab.goto(`${appUrl()}/protected`)
        await expect.poll(() => tab.locator('#protected-user').textContent()).toBe(email)
        expect(hops.slice(0, 3)).toEqual([
          '/protected',
          '/__clerk/v1/client/handshake',
          '/protected',
        ])
        const session = (await other.cookies(appUrl())).find((c) => c.name === '__session')
        expect(session?.value).toMatch(/^ey/)
        expect(session?.httpOnly).toBe(false)
      } finally {
        await other.close()
      }
    })

    it("signs in through Clerk's UI; the server component and the route handler see the user", async () => {
      await page.goto(`${appUrl()}/protected`)
      await page.locator('input[name="identifier"]').fill(email)
      await page.getByRole('button', { name: 'Continue', exact: true }).click()
      await page.locator('input[name="password"]').fill(PASSWORD)
      await page.getByRole('button', { name: 'Continue', exact: true }).click()
      await expect.poll(() => new URL(page.url()).pathname).toBe('/protected')
      await expect.poll(() => page.locator('#protected-user').textContent()).toBe(email)
      expect(await page.locator('#protected-user').getAttribute('data-user-id')).toBe(userId)

      await page.goto(appUrl())
      expect(await serverUser()).toEqual({ id: userId, text: `Signed in as ${email}` })
      const me = await apiMe()
      expect(me.userId).toBe(userId)
      expect(me.email).toBe(email)
      expect(me.sessionId).toMatch(/^sess_/)
    })

    it("the InstantDB guide's component gets a token from useAuth().getToken() that verifies against Latchkey's JWKS", async () => {
      await page.goto(appUrl())
      const tokenEl = page.locator('#instant-token')
      await expect.poll(() => tokenEl.getAttribute('data-token')).toMatch(/^ey/)
      const token = (await tokenEl.getAttribute('data-token')) ?? ''
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
      const { payload } = await jwtVerify(token, jwks, { issuer: server.url })
      expect(payload.sub).toBe(userId)
      expect(payload.azp).toBe(appUrl())
      // The same token as a Bearer header: the route handler's auth() reads it (no cookies).
      const bearer = await fetch(`${appUrl()}/api/me`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(((await bearer.json()) as { userId: string }).userId).toBe(userId)
    })

    it('a session whose __session cookie is gone goes through the handshake and stays signed in', async () => {
      await page.close()
      await ctx.clearCookies({ name: '__session' })
      expect((await ctx.cookies(appUrl())).map((c) => c.name)).toContain('__client_uat')
      page = await ctx.newPage()
      const handshakes: string[] = []
      page.on('request', (r) => {
        if (r.isNavigationRequest() && r.url().includes('/v1/client/handshake'))
          handshakes.push(r.url())
      })
      await page.goto(`${appUrl()}/protected`)
      await expect.poll(() => page.locator('#protected-user').textContent()).toBe(email)
      expect(handshakes).toHaveLength(1)
      const hs = new URL(handshakes[0] ?? '')
      expect(hs.origin + hs.pathname).toBe(`${appUrl()}/__clerk/v1/client/handshake`)
      expect(hs.searchParams.get('format')).toBe('nonce')
      // The handshake's cookies are on the app's host.
      const session = (await ctx.cookies(appUrl())).find((c) => c.name === '__session')
      expect(session?.value).toMatch(/^ey/)
      expect((await apiMe()).userId).toBe(userId)
    })

    it('signs out', async () => {
      await page.goto(appUrl())
      await page.locator('#sign-out').click()
      await expect.poll(() => page.getByRole('button', { name: /sign in/i }).count()).toBe(1)
      expect(await apiMe()).toEqual({ userId: null, sessionId: null, email: null })
      await page.goto(`${appUrl()}/protected`)
      await expect.poll(() => new URL(page.url()).pathname).toBe('/sign-in')
    })
  })
})
