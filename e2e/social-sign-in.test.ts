import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { type SignInApps, startSignInApps, statusOf } from './helpers/clerk/sign-in-apps.js'
import { startUpstreamGoogle, type UpstreamGoogle } from './helpers/upstream-google.js'

const STEP_MS = 30_000

/**
 * Issue #18 items 2 and 5 in Chromium: "Continue with Google" against a real OpenID Connect
 * provider on loopback standing in for Google (its login page filled as a person would), in
 * Latchkey's own prebuilt UI (the plain-HTML example's modal) and in Clerk's UI unchanged
 * (clerk-js 6 + @clerk/ui behind the app's /__clerk proxy: the provider's return reaches
 * Latchkey without the app's cookie and is forwarded to the proxy), and through clerk-js's
 * `authenticateWithRedirect` + `handleRedirectCallback`.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'Continue with Google in Chromium (%s)',
  (dialect) => {
    const RETRY = { retry: 2, timeout: 120_000 }
    let server: TestServer
    let google: UpstreamGoogle
    let plainUrl: string
    let clerkApp: ClerkApp
    let browser: Browser
    let n = 0
    const address = (what: string) => `${what}-${dialect}-${++n}@example.com`

    let apps: SignInApps

    beforeAll(async () => {
      apps = await startSignInApps(dialect, {
        upstreams: async (s) => {
          google = await startUpstreamGoogle(s)
          return [google]
        },
      })
      ;({ server, plainUrl, clerkApp, browser } = apps)
    }, 120_000)

    afterAll(() => apps?.close())

    it(
      "Latchkey's UI: first sign-up with Google, sign out, sign in again: the same user",
      RETRY,
      async () => {
        const email = address('latchkey-ui')
        const login = google.account(email)
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(plainUrl)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')

        await page.getByRole('button', { name: 'Sign in' }).click()
        const dialog = page.getByRole('dialog', { name: 'Sign in' })
        await dialog.getByRole('button', { name: 'Continue with Google' }).click()
        await google.signIn(page, login)
        // Back on the app: the sign-in modal reopens, transfers to a sign-up and closes.
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        expect(new URL(page.url()).searchParams.has('latchkey_sso_callback')).toBe(false)
        const userId = await userIdByEmail(server, email)
        const user = await (
          await fetch(`${server.url}/v1/users/${userId}`, {
            headers: { authorization: `Bearer ${server.secretKey}` },
          })
        ).json()
        expect(
          user.email_addresses.map(
            (e: { verification: { status: string } }) => e.verification.status,
          ),
        ).toEqual(['verified'])
        expect(user.external_accounts).toMatchObject([
          { provider: 'oauth_google', provider_user_id: login },
        ])

        await page.evaluate(() =>
          (window as unknown as { latchkey: { signOut(): Promise<void> } }).latchkey.signOut(),
        )
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        // Again: "Google" remembers the person (its session), so no login page this time.
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page
          .getByRole('dialog', { name: 'Sign in' })
          .getByRole('button', { name: 'Continue with Google' })
          .click()
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        const sessionUser = await page.evaluate(
          () => (window as unknown as { latchkey: { user: { id: string } } }).latchkey.user.id,
        )
        expect(sessionUser).toBe(userId)
        await context.close()
      },
    )

    it(
      "Clerk's <SignIn/> behind the /__clerk proxy: the social button, Google, back, signed in",
      RETRY,
      async () => {
        const email = address('clerk-ui')
        const login = google.account(email)
        const context = await browser.newContext()
        const page = await context.newPage()
        const watch = watchPage(page)
        // The provider's return reaches Latchkey without the app's cookie and goes on, once,
        // to the app's proxy, where it is.
        const forwarded: string[] = []
        page.on('request', (r) => {
          if (r.url().startsWith(`${clerkApp.url}/__clerk/v1/oauth_callback?`))
            forwarded.push(r.url())
        })
        await page.goto(`${clerkApp.url}/sign-in`)
        const button = page
          .locator('.cl-socialButtonsBlockButton, .cl-socialButtonsIconButton')
          .first()
        await button.waitFor({ state: 'visible', timeout: STEP_MS })
        expect(await button.textContent()).toContain('Google')
        await button.click()
        await google.signIn(page, login)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toMatch(/^Signed in as user_/)
        const userId = await userIdByEmail(server, email)
        expect(await statusOf(page)).toBe(`Signed in as ${userId}`)
        expect(forwarded).toHaveLength(1)
        watch.assertClean()
        await context.close()
      },
    )

    it(
      "the hosted sign-in page's button (its prebuilt UI): Google, back, on to the app",
      RETRY,
      async () => {
        const email = address('hosted')
        const login = google.account(email)
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(`${server.url}/sign-in?redirect_url=${encodeURIComponent(plainUrl)}`)
        // The prebuilt UI has replaced the page's own form (which works without JavaScript).
        await page.locator('[data-latchkey="sign-in"]').waitFor({ timeout: STEP_MS })
        await page.getByRole('button', { name: 'Continue with Google' }).click()
        await google.signIn(page, login)
        await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        await context.close()
      },
    )

    it(
      'the hosted sign-in page without JavaScript: "Continue with Google" is a form post; new, then the same user',
      RETRY,
      async () => {
        const email = address('hosted-nojs')
        const login = google.account(email)
        const signIn = async () => {
          const context = await browser.newContext({ javaScriptEnabled: false })
          const page = await context.newPage()
          await page.goto(`${server.url}/sign-in?redirect_url=${encodeURIComponent(plainUrl)}`)
          await page.getByRole('button', { name: 'Continue with Google' }).click()
          await google.signIn(page, login)
          await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
          await context.close()
        }
        await signIn()
        const userId = await userIdByEmail(server, email)
        const user = await (
          await fetch(`${server.url}/v1/users/${userId}`, {
            headers: { authorization: `Bearer ${server.secretKey}` },
          })
        ).json()
        expect(user.external_accounts).toMatchObject([
          { provider: 'oauth_google', provider_user_id: login },
        ])
        // A new browser: "Google" asks again, and the same user is signed in.
        await signIn()
        expect(await userIdByEmail(server, email)).toBe(userId)
      },
    )

    it(
      'the hosted sign-up page without JavaScript: "Continue with Google" creates the user; sign-in finds the same',
      RETRY,
      async () => {
        const email = address('hosted-signup-nojs')
        const login = google.account(email)
        const viaGoogle = async (path: '/sign-up' | '/sign-in') => {
          const context = await browser.newContext({ javaScriptEnabled: false })
          const page = await context.newPage()
          await page.goto(`${server.url}${path}?redirect_url=${encodeURIComponent(plainUrl)}`)
          await page.getByRole('button', { name: 'Continue with Google' }).click()
          await google.signIn(page, login)
          await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
          await context.close()
        }
        await viaGoogle('/sign-up')
        const userId = await userIdByEmail(server, email)
        const user = await (
          await fetch(`${server.url}/v1/users/${userId}`, {
            headers: { authorization: `Bearer ${server.secretKey}` },
          })
        ).json()
        expect(user.external_accounts).toMatchObject([
          { provider: 'oauth_google', provider_user_id: login },
        ])
        expect(user.email_addresses).toMatchObject([
          { email_address: email, verification: { status: 'verified' } },
        ])
        // The sign-up page's button again, and the sign-in page's: the same user each time.
        await viaGoogle('/sign-up')
        await viaGoogle('/sign-in')
        expect(await userIdByEmail(server, email)).toBe(userId)
      },
    )

    it(
      'clerk-js authenticateWithRedirect + handleRedirectCallback: new, then the same user',
      RETRY,
      async () => {
        const email = address('clerk-js')
        const login = google.account(email)
        const context = await browser.newContext()
        const page = await context.newPage()
        const watch = watchPage(page)
        const start = async () => {
          await page.goto(`${clerkApp.url}/`)
          await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
          await page.evaluate((origin) => {
            const clerk = (
              window as unknown as {
                clerk: {
                  client: { signIn: { authenticateWithRedirect(p: object): Promise<void> } }
                }
              }
            ).clerk
            void clerk.client.signIn.authenticateWithRedirect({
              strategy: 'oauth_google',
              redirectUrl: `${origin}/sso-callback`,
              redirectUrlComplete: `${origin}/`,
            })
          }, clerkApp.url)
        }
        await start()
        await google.signIn(page, login)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toMatch(/^Signed in as user_/)
        const userId = await userIdByEmail(server, email)
        expect(await statusOf(page)).toBe(`Signed in as ${userId}`)
        await page.evaluate(() =>
          (window as unknown as { clerk: { signOut(): Promise<void> } }).clerk.signOut(),
        )
        await start()
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${userId}`)
        watch.assertClean()
        await context.close()
      },
    )
  },
)
