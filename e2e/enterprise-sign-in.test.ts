import { createClerkClient } from '@clerk/backend'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SamlIdp } from '../packages/server/test/helpers/saml-idp.js'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { type SignInApps, startSignInApps, statusOf } from './helpers/clerk/sign-in-apps.js'

const STEP_MS = 30_000
const PASSWORD = 'enterprise e2e passphrase 3'

/**
 * Issue #18 items 4 and 5, "enterprise SSO chosen by domain" in Chromium: a SAML IdP on loopback
 * (signed assertions, its own sign-in page and auto-posting form) holds an active connection for
 * one domain. Typing an address of that domain — and no password — in Latchkey's prebuilt UI
 * (the plain-HTML example's modal) or in Clerk's <SignIn/> unchanged (clerk-js 6 + @clerk/ui
 * behind the app's /__clerk proxy, on another site than Latchkey) goes to the IdP and back
 * signed in: the first time a new user with that address, verified; the second time the same
 * user.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'Enterprise SSO by email domain in Chromium (%s)',
  (dialect) => {
    const RETRY = { retry: 1, timeout: 150_000 }
    const domain = `corp-${dialect}.test`
    let server: TestServer
    let idp: SamlIdp
    let plainUrl: string
    let clerkApp: ClerkApp
    let browser: Browser
    let n = 0
    const address = (what: string) => `${what}-${++n}@${domain}`

    let apps: SignInApps

    beforeAll(async () => {
      apps = await startSignInApps(dialect, {
        upstreams: async (s) => {
          idp = await SamlIdp.start({ loginPage: true })
          const clerk = createClerkClient({ secretKey: s.secretKey, apiUrl: s.url })
          const made = await clerk.samlConnections.createSamlConnection({
            name: 'Corp IdP',
            provider: 'saml_custom',
            domain,
            idpEntityId: idp.entityId,
            idpSsoUrl: idp.ssoUrl,
            idpCertificate: idp.cert,
          })
          await clerk.samlConnections.updateSamlConnection(made.id, { active: true })
          return [idp]
        },
      })
      ;({ server, plainUrl, clerkApp, browser } = apps)
    }, 120_000)

    afterAll(() => apps?.close())

    /** The person at the IdP: its sign-in page, the address, "Sign in"; it posts back itself. */
    async function atIdp(page: Page, email: string) {
      await page.waitForURL((u) => u.href.startsWith(idp.ssoUrl), { timeout: STEP_MS })
      await page.getByLabel('Email').fill(email)
      await page.getByRole('button', { name: 'Sign in' }).click()
    }

    /** The user with this address, by the Backend API: its addresses' statuses. */
    async function addressesOf(userId: string) {
      const res = await fetch(`${server.url}/v1/users/${userId}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      const user = (await res.json()) as {
        email_addresses: { email_address: string; verification: { status: string } }[]
      }
      return user.email_addresses.map((e) => [e.email_address, e.verification.status])
    }

    it(
      "Latchkey's UI: the address alone goes to the IdP; a new user, then the same user",
      RETRY,
      async () => {
        const email = address('ada')
        const context = await browser.newContext()
        const page = await context.newPage()
        const signInByDomain = async () => {
          await page.getByRole('button', { name: 'Sign in' }).click()
          const dialog = page.getByRole('dialog', { name: 'Sign in' })
          await dialog.getByLabel('Email address').fill(email)
          await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
          await atIdp(page, email)
          await expect
            .poll(() => statusOf(page), { timeout: STEP_MS })
            .toBe(`Signed in as ${email}`)
        }
        await page.goto(plainUrl)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        await signInByDomain()
        const userId = await userIdByEmail(server, email)
        expect(await addressesOf(userId)).toEqual([[email, 'verified']])

        await page.evaluate(() =>
          (window as unknown as { latchkey: { signOut(): Promise<void> } }).latchkey.signOut(),
        )
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        await signInByDomain()
        const again = await page.evaluate(
          () => (window as unknown as { latchkey: { user: { id: string } } }).latchkey.user.id,
        )
        expect(again).toBe(userId)
        expect(await userIdByEmail(server, email)).toBe(userId)
        await context.close()
      },
    )

    it(
      'the hosted sign-in page (its prebuilt UI): the address alone, the IdP, on to the app',
      RETRY,
      async () => {
        const email = address('hosted')
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(`${server.url}/sign-in?redirect_url=${encodeURIComponent(plainUrl)}`)
        // The prebuilt UI has replaced the page's own form (which works without JavaScript).
        await page.locator('[data-latchkey="sign-in"]').waitFor({ timeout: STEP_MS })
        await page.getByLabel('Email address').fill(email)
        await page.getByRole('button', { name: 'Continue', exact: true }).click()
        await atIdp(page, email)
        await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        const userId = await userIdByEmail(server, email)
        expect(await addressesOf(userId)).toEqual([[email, 'verified']])
        await context.close()
      },
    )

    it(
      'the hosted sign-in form without JavaScript: the IdP, back, a new user; again the same',
      RETRY,
      async () => {
        const email = address('nojs')
        const signInByDomain = async () => {
          const context = await browser.newContext({ javaScriptEnabled: false })
          const page = await context.newPage()
          await page.goto(`${server.url}/sign-in?redirect_url=${encodeURIComponent(plainUrl)}`)
          await page.getByLabel('Email address').fill(email)
          await page.getByRole('button', { name: 'Continue', exact: true }).click()
          await atIdp(page, email)
          // The IdP's form to the ACS, posted by hand (its script does not run).
          await page.getByRole('button', { name: 'Continue' }).click()
          await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
          await context.close()
        }
        await signInByDomain()
        const userId = await userIdByEmail(server, email)
        expect(await addressesOf(userId)).toEqual([[email, 'verified']])
        await signInByDomain()
        expect(await userIdByEmail(server, email)).toBe(userId)
      },
    )

    it("Latchkey's UI: another domain still signs in with its password", RETRY, async () => {
      const email = `pat-${dialect}-${++n}@example.com`
      await createUser(server, { email, password: PASSWORD })
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(plainUrl)
      await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
      await page.getByRole('button', { name: 'Sign in' }).click()
      const dialog = page.getByRole('dialog', { name: 'Sign in' })
      await dialog.getByLabel('Email address').fill(email)
      // No password yet: asked for, not sent to an IdP.
      await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
      await expect
        .poll(() => dialog.getByRole('alert').first().textContent(), { timeout: STEP_MS })
        .toContain('Enter your password.')
      await dialog.getByLabel('Password').fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
      await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
      await context.close()
    })

    it(
      "Clerk's <SignIn/>: the identifier alone redirects to the IdP; new user, then the same",
      RETRY,
      async () => {
        const email = address('grace')
        const context = await browser.newContext()
        const page = await context.newPage()
        const watch = watchPage(page)
        const ui = new ClerkUI(page)
        const signInByDomain = async () => {
          await page.goto(`${clerkApp.url}/sign-in`)
          await ui.waitForSignIn()
          // The identifier alone: Clerk's UI sends no password while enterprise SSO is on.
          await ui.field('identifier').fill(email)
          await ui.continue()
          await atIdp(page, email)
          await expect
            .poll(() => statusOf(page), { timeout: STEP_MS })
            .toMatch(/^Signed in as user_/)
        }
        await signInByDomain()
        const userId = await userIdByEmail(server, email)
        expect(await statusOf(page)).toBe(`Signed in as ${userId}`)
        expect(await addressesOf(userId)).toEqual([[email, 'verified']])
        // Clerk's UI navigates to the app's home once signed in: wait for that before going on.
        await page.waitForURL((u) => u.pathname === '/', { timeout: STEP_MS })
        await page.evaluate(() =>
          (window as unknown as { clerk: { signOut(): Promise<void> } }).clerk.signOut(),
        )
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        await signInByDomain()
        expect(await statusOf(page)).toBe(`Signed in as ${userId}`)
        expect(await userIdByEmail(server, email)).toBe(userId)
        watch.assertClean()
        await context.close()
      },
    )
  },
)
