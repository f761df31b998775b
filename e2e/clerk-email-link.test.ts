import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  linkFrom,
  startSmtpServer,
  type TestSmtpServer,
} from '../packages/server/test/helpers/smtp.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type ClerkApp, startClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { selfSignedCert, startTlsFront } from './helpers/clerk/tls-front.js'
import { emailStatuses, nextMail } from './helpers/clerk/verification-setup.js'

/*
 * Issue #16 §6, email links in Clerk's own UI (clerk-js 6.40.0, @clerk/ui 1.34.0, unchanged):
 * with a new instance's settings (codes and links on) Clerk's <SignUp/> sends a link, and its
 * <SignIn/> offers "Email link to …". A link goes to Latchkey's own URL (/v1/verify) and
 * completes only in the browser that asked, by its client cookie, so this runs production-style
 * (clerk-production.test.ts): Latchkey over https on auth.example.test, the app on
 * app.example.test, no proxy, the client cookie on Latchkey's host. Behind the app's /__clerk
 * proxy that cookie lives on the app's origin, which a link to Latchkey's URL does not reach.
 * The link is opened in a second tab of the same browser, as a mail client would.
 */

const FIXTURE = new URL('./fixtures/clerk-verification/', import.meta.url)
const PASSWORD = 'email link clerk passphrase 5'

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)("Clerk's UI and email links (%s)", (dialect) => {
  // Clerk's UI beside Next.js builds and other browsers on two cores has lost a step under CI's
  // load (e2e/clerk-vanilla.test.ts); each attempt uses fresh addresses and pages, so a retry
  // never depends on the one before.
  const RETRY = { retry: 2, timeout: 120_000 }
  let smtp: TestSmtpServer
  let server: TestServer
  let plain: TestServer
  let front: { close(): Promise<void> }
  let app: ClerkApp
  let browser: Browser
  let n = 0
  const address = (what: string) => `${what}-${dialect}-${++n}@example.com`

  beforeAll(async () => {
    const tls = selfSignedCert(['auth.example.test', 'app.example.test'])
    const [tlsPort, appPort] = [await freePort(), await freePort()]
    smtp = await startSmtpServer()
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      verifyEmailAtSignUp: true,
      env: {
        LATCHKEY_URL: `https://auth.example.test:${tlsPort}`,
        LATCHKEY_ALLOWED_ORIGINS: `https://app.example.test:${appPort}`,
      },
    })
    // The plain side, for this test's own Backend API calls.
    const a = server.app.server.address()
    plain = { ...server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` }
    front = await startTlsFront({ port: tlsPort, target: plain.url, tls })
    app = await startClerkApp({
      root: FIXTURE,
      port: appPort,
      latchkeyUrl: server.url,
      publishableKey: server.publishableKey,
      proxyUrl: false,
      https: tls,
      host: 'app.example.test',
    })
    browser = await launchChromium([
      '--host-resolver-rules=MAP auth.example.test 127.0.0.1, MAP app.example.test 127.0.0.1',
      '--ignore-certificate-errors',
    ])
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await front?.close()
    await server?.close()
    await smtp?.close()
  })

  const status = (page: Page) =>
    page
      .locator('#status')
      .textContent()
      .catch(() => 'navigating')

  /** Opens the mailed link in a second tab of the same browser (its cookies), as a click does. */
  async function openLink(context: BrowserContext, link: string): Promise<Page> {
    expect(link.startsWith(`${server.url}/v1/verify?token=`)).toBe(true)
    const tab = await context.newPage()
    await tab.goto(link)
    return tab
  }

  it(
    "signs up in Clerk's <SignUp/> by the link from the mail, opened in a second tab",
    RETRY,
    async () => {
      const email = address('link-sign-up')
      const context = await browser.newContext()
      const page = await context.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-up`)
      const at = smtp.messages.length
      await ui.signUp({ emailAddress: email, password: PASSWORD })
      // Clerk's "Check your email" card (a link, not a code: the environment lists email_link).
      const card = ui.part('signUp-emailLinkVerify')
      await card.waitFor({ state: 'visible', timeout: 30_000 })
      expect(await card.textContent()).toContain(email)
      const mail = await nextMail(smtp, email, at, 'sign-up link')
      const tab = await openLink(context, linkFrom(mail))
      const tabWatch = watchPage(tab)
      // The second tab lands on the app's sign-up page with __clerk_status=verified, signed in.
      await expect.poll(() => status(tab), { timeout: 30_000 }).toMatch(/^Signed in as user_/)
      const userId = await userIdByEmail(plain, email)
      expect(await status(tab)).toBe(`Signed in as ${userId}`)
      // The first tab, polling its sign-up, learns the link was opened in this same browser
      // (verified_at_client is its client): Clerk's "Successfully verified email" card, in
      // Clerk's own words (which send the person to the other tab, where the session is).
      await expect
        .poll(() => ui.card.textContent(), { timeout: 30_000 })
        .toContain('Successfully verified email')
      expect(await emailStatuses(plain, userId)).toEqual([[email, 'verified']])
      watch.assertClean()
      tabWatch.assertClean()
      await context.close()
    },
  )

  it(
    'signs in with "Email link to …" from Clerk\'s <SignIn/>, the link opened in a second tab',
    RETRY,
    async () => {
      const email = address('link-sign-in')
      const userId = await createUser(plain, { email, password: PASSWORD })
      const context = await browser.newContext()
      const page = await context.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-in`)
      await ui.waitForSignIn()
      await ui.field('identifier').fill(email)
      await ui.continue()
      await ui.part('signIn-password').waitFor({ state: 'visible' })
      await ui.card.getByText('Use another method').click()
      const at = smtp.messages.length
      await ui.card.getByRole('button', { name: `Email link to ${email}` }).click()
      await ui.part('signIn-emailLinkVerify').waitFor({ state: 'visible' })
      const mail = await nextMail(smtp, email, at, 'sign-in link')
      const tab = await openLink(context, linkFrom(mail))
      const tabWatch = watchPage(tab)
      await expect.poll(() => status(tab), { timeout: 30_000 }).toBe(`Signed in as ${userId}`)
      await ui.part('signIn-emailLink').waitFor({ state: 'detached', timeout: 30_000 })
      watch.assertClean()
      tabWatch.assertClean()
      await context.close()
    },
  )

  it(
    "verifies an address added in Clerk's <UserProfile/> by the link, opened in a second tab",
    RETRY,
    async () => {
      const email = address('link-profile')
      const second = address('link-second')
      const userId = await createUser(plain, { email, password: PASSWORD })
      const context = await browser.newContext()
      const page = await context.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-in`)
      await ui.signInWithPassword(email, PASSWORD)
      await expect.poll(() => status(page), { timeout: 30_000 }).toBe(`Signed in as ${userId}`)
      await page.goto(`${app.url}/profile`)
      const profile = page.locator('.cl-userProfile-root')
      await profile.waitFor({ state: 'visible', timeout: 30_000 })
      await profile.getByRole('button', { name: 'Add email address' }).click()
      await profile.locator('input[name="emailAddress"]').fill(second)
      const at = smtp.messages.length
      await profile.getByRole('button', { name: 'Add', exact: true }).click()
      const mail = await nextMail(smtp, second, at, 'add-email link')
      const tab = await openLink(context, linkFrom(mail))
      // The first tab, polling the address, sees it verified.
      await expect
        .poll(() => emailStatuses(plain, userId), { timeout: 30_000 })
        .toContainEqual([second, 'verified'])
      const row = profile.locator('.cl-profileSectionItem__emailAddresses', { hasText: second })
      await row.waitFor({ state: 'visible', timeout: 30_000 })
      await expect.poll(() => row.textContent(), { timeout: 30_000 }).not.toContain('Unverified')
      await tab.close()
      watch.assertClean()
      await context.close()
    },
  )
})
