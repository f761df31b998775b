import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../packages/server/test/helpers/browser-client.js'
import { codeFrom, type TestSmtpServer } from '../packages/server/test/helpers/smtp.js'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import {
  type ClerkStack,
  emailStatuses,
  nextMail,
  startClerkStack,
} from './helpers/clerk/verification-setup.js'

/*
 * Issue #16 §6 with Clerk's own clerk-js 6.40.0 and @clerk/ui 1.34.0, unchanged, in Chromium,
 * through the app's /__clerk proxy (docs/MOVE-FROM-CLERK.md's local setup): sign-up verified
 * with the code from the mail, sign-in with an email code, and "Forgot password?", every mail
 * from a real SMTP server; and an address added, verified and made primary in Clerk's
 * <UserProfile/>. The instance offers codes, not links (first_factors.email_link off):
 * Clerk's UI sends a link whenever the environment lists one, and a link to Latchkey's own URL
 * cannot see the client cookie that lives on the app's origin behind the proxy (links are
 * e2e/clerk-email-link.test.ts, production-style).
 */

const FIXTURE = new URL('./fixtures/clerk-verification/', import.meta.url)
const PASSWORD = 'verification clerk passphrase 7'
const NEW_PASSWORD = 'a brand new clerk passphrase 8'

/** The user's primary address (Backend API). */
async function primaryAddress(server: TestServer, userId: string) {
  const res = await fetch(`${server.url}/v1/users/${userId}`, {
    headers: { authorization: `Bearer ${server.secretKey}` },
  })
  const user = (await res.json()) as {
    primary_email_address_id: string
    email_addresses: { id: string; email_address: string }[]
  }
  return user.email_addresses.find((e) => e.id === user.primary_email_address_id)?.email_address
}

/** A password sign-in through the Frontend API, as a fresh browser: its HTTP status. */
async function passwordSignIn(server: TestServer, identifier: string, password: string) {
  const r = await new BrowserClient(server.url, server.url).post('/v1/client/sign_ins', {
    identifier,
    password,
    strategy: 'password',
  })
  return r.status
}

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)("Clerk's UI verifies by email (%s)", (dialect) => {
  // Clerk's UI beside Next.js builds and other browsers on two cores has lost a step under CI's
  // load (e2e/clerk-vanilla.test.ts); each attempt uses fresh addresses and pages, so a retry
  // never depends on the one before.
  const RETRY = { retry: 2, timeout: 120_000 }
  let stack: ClerkStack
  let browser: Browser
  let smtp: TestSmtpServer
  let server: TestServer
  let app: ClerkApp
  let n = 0
  const address = (what: string) => `${what}-${dialect}-${++n}@example.com`

  beforeAll(async () => {
    stack = await startClerkStack(dialect, {
      fixture: FIXTURE,
      smtp: true,
      server: { verifyEmailAtSignUp: true },
      userSettings: { first_factors: { email_link: false } },
    })
    ;({ browser, server, app } = stack)
    smtp = stack.smtp as TestSmtpServer
  }, 120_000)
  afterAll(() => stack?.close())

  const status = (page: Page) =>
    page
      .locator('#status')
      .textContent()
      .catch(() => 'navigating')
  const signedInAs = async (page: Page, userId: string) =>
    expect.poll(() => status(page), { timeout: 30_000 }).toBe(`Signed in as ${userId}`)

  it(
    "signs up in Clerk's <SignUp/>: the code from the mail on Clerk's verify-email card",
    RETRY,
    async () => {
      const email = address('sign-up')
      const page = await browser.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-up`)
      const at = smtp.messages.length
      await ui.signUp({ emailAddress: email, password: PASSWORD })
      // Clerk's "Verify your email" card, naming the address it sent the code to.
      const card = ui.part('signUp-emailCode')
      await card.waitFor({ state: 'visible', timeout: 30_000 })
      expect(await card.textContent()).toContain(email)
      const mail = await nextMail(smtp, email, at, 'sign-up code')
      await ui.enterCode(codeFrom(mail))
      await expect.poll(() => status(page), { timeout: 30_000 }).toMatch(/^Signed in as user_/)
      const userId = await userIdByEmail(server, email)
      await signedInAs(page, userId)
      expect(await emailStatuses(server, userId)).toEqual([[email, 'verified']])
      watch.assertClean()
      await page.close()
    },
  )

  it('signs in with an email code: "Use another method" → "Email code to …"', RETRY, async () => {
    const email = address('code-sign-in')
    const userId = await createUser(server, { email, password: PASSWORD })
    const page = await browser.newPage()
    const watch = watchPage(page)
    const ui = new ClerkUI(page)
    await page.goto(`${app.url}/sign-in`)
    await ui.waitForSignIn()
    await ui.field('identifier').fill(email)
    await ui.continue()
    await ui.part('signIn-password').waitFor({ state: 'visible' })
    await ui.card.getByText('Use another method').click()
    const at = smtp.messages.length
    await ui.card.getByRole('button', { name: `Email code to ${email}` }).click()
    await ui.part('signIn-emailCode').waitFor({ state: 'visible' })
    const mail = await nextMail(smtp, email, at, 'sign-in code')
    await ui.enterCode(codeFrom(mail))
    await signedInAs(page, userId)
    watch.assertClean()
    await page.close()
  })

  it(
    '"Forgot password?": the code, a new password, signed in; the old password is refused, other sessions end',
    RETRY,
    async () => {
      const email = address('forgot')
      const userId = await createUser(server, { email, password: PASSWORD })
      // Another device, signed in before the reset: Clerk's form signs it out (its box is ticked).
      const laptop = new BrowserClient(server.url, server.url)
      await laptop.signIn(email, PASSWORD)
      const page = await browser.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-in`)
      await ui.waitForSignIn()
      await ui.field('identifier').fill(email)
      await ui.continue()
      await ui.part('signIn-password').waitFor({ state: 'visible' })
      await ui.card.getByText('Forgot password?').click()
      const at = smtp.messages.length
      await ui.card.getByRole('button', { name: 'Reset your password' }).click()
      // Clerk's reset code card ("Reset password"), then its new-password form.
      await ui.part('signIn-resetPassword').waitFor({ state: 'visible' })
      const mail = await nextMail(smtp, email, at, 'reset password code')
      await ui.enterCode(codeFrom(mail))
      await ui.field('confirmPassword').waitFor({ state: 'visible', timeout: 30_000 })
      await ui.field('password').fill(NEW_PASSWORD)
      await ui.field('confirmPassword').fill(NEW_PASSWORD)
      await ui.continue()
      await signedInAs(page, userId)
      expect((await laptop.get('/v1/client')).json.response?.sessions ?? []).toEqual([])
      await expect(passwordSignIn(server, email, PASSWORD)).resolves.toBe(422)
      await expect(passwordSignIn(server, email, NEW_PASSWORD)).resolves.toBe(200)
      watch.assertClean()
      await page.close()
    },
  )

  it(
    "adds an address in Clerk's <UserProfile/>, verifies it with the mailed code, makes it primary",
    RETRY,
    async () => {
      const email = address('profile')
      const second = address('second')
      const userId = await createUser(server, { email, password: PASSWORD })
      const page = await browser.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/sign-in`)
      await ui.signInWithPassword(email, PASSWORD)
      await signedInAs(page, userId)
      await page.goto(`${app.url}/profile`)
      const profile = page.locator('.cl-userProfile-root')
      await profile.waitFor({ state: 'visible', timeout: 30_000 })
      await profile.getByRole('button', { name: 'Add email address' }).click()
      await profile.locator('input[name="emailAddress"]').fill(second)
      const at = smtp.messages.length
      await profile.getByRole('button', { name: 'Add', exact: true }).click()
      const mail = await nextMail(smtp, second, at, 'add-email code')
      await ui.enterCode(codeFrom(mail), profile)
      // Listed, verified (no "Unverified" badge), and Clerk's menu offers "Set as primary".
      const row = profile.locator('.cl-profileSectionItem__emailAddresses', { hasText: second })
      await row.waitFor({ state: 'visible', timeout: 30_000 })
      await expect.poll(() => emailStatuses(server, userId)).toContainEqual([second, 'verified'])
      await row.getByRole('button', { name: 'Open menu' }).click()
      await page.getByRole('menuitem', { name: 'Set as primary' }).click()
      await expect.poll(() => primaryAddress(server, userId)).toBe(second)
      await expect.poll(() => row.textContent()).toContain('Primary')
      watch.assertClean()
      await page.close()
    },
  )
})
