import type { Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlainHtmlExample } from '../examples/plain-html/server.js'
import {
  codeFrom,
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

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase'
/** One step of a flow: a mail to arrive, a page to change. */
const STEP_MS = 15_000

/**
 * Issue #16 in Chromium: the prebuilt components (the plain HTML example, served from another
 * origin) walk every email flow against a server that verifies addresses at sign-up, with the
 * codes and links read from a real SMTP server.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)('email flows in the prebuilt UI (%s)', (dialect) => {
  let server: TestServer
  let smtp: TestSmtpServer
  let app: Server
  let appUrl: string
  let browser: Browser
  let laptop: BrowserContext
  let phone: BrowserContext
  let tab: Page
  const ada = `ada-${dialect}@example.com`
  const grace = `grace-${dialect}@example.com`
  const second = `ada.work-${dialect}@example.com`

  beforeAll(async () => {
    smtp = await startSmtpServer()
    const port = await freePort()
    appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer(dialect, {
      emailLinks: true,
      smtpUrl: smtp.url,
      verifyEmailAtSignUp: true,
      env: { LATCHKEY_ALLOWED_ORIGINS: appUrl },
    })
    app = await startPlainHtmlExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
    browser = await launchChromium()
    laptop = await browser.newContext()
    phone = await browser.newContext()
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await server?.close()
    await smtp?.close()
  })

  const status = (page: Page) => page.locator('#status')
  const signedInAs = (page: Page, email: string) =>
    expect
      .poll(() => status(page).textContent(), { timeout: STEP_MS })
      .toBe(`Signed in as ${email}`)
  const open = async (ctx: BrowserContext) => {
    const page = await ctx.newPage()
    await page.goto(appUrl)
    await expect.poll(() => status(page).textContent()).not.toBe('Loading…')
    return page
  }
  const mailTo = async (email: string, after: number) =>
    smtp.waitForMail(email, { after, timeoutMs: STEP_MS })
  const isFocused = (l: Locator) => l.evaluate((el) => el === document.activeElement)

  async function startSignUp(page: Page, email: string) {
    await page.getByRole('button', { name: 'Sign up' }).click()
    const dialog = page.getByRole('dialog', { name: 'Sign up' })
    await dialog.getByLabel('Email address').fill(email)
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
    const at = smtp.messages.length
    await dialog.getByRole('button', { name: 'Create account' }).click()
    await dialog.getByRole('heading', { name: 'Check your email' }).waitFor({ timeout: STEP_MS })
    return { dialog, at }
  }

  async function signOut(page: Page) {
    await page.getByRole('button', { name: /Open user menu/ }).click()
    await page.getByRole('menuitem', { name: 'Sign out' }).click()
    await expect.poll(() => status(page).textContent()).toBe('Signed out')
  }

  it('signs up and verifies the address with the code from the mail', async () => {
    tab = await open(laptop)
    const { dialog, at } = await startSignUp(tab, ada)
    const code = dialog.getByLabel('Verification code')
    expect(await code.getAttribute('autocomplete')).toBe('one-time-code')
    expect(await code.getAttribute('inputmode')).toBe('numeric')
    expect(await isFocused(code)).toBe(true)
    // The resend waits out the server's cooldown, visibly; so does the switch to a link.
    const resend = dialog.getByRole('button', { name: /^Resend code/ })
    expect(await resend.isDisabled()).toBe(true)
    expect(await resend.textContent()).toMatch(/^Resend code \((30|29|28) s\)$/)
    expect(await dialog.getByRole('button', { name: 'Use a link instead' }).isDisabled()).toBe(true)

    const mailed = codeFrom(await mailTo(ada, at))
    await code.fill(mailed === '000000' ? '111111' : '000000')
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await expect
      .poll(() => dialog.getByRole('alert').first().textContent())
      .toBe('That code is incorrect. Check the email and try again.')
    expect(await code.getAttribute('aria-invalid')).toBe('true')
    expect(await isFocused(code)).toBe(true)

    await code.fill(mailed)
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await signedInAs(tab, ada)
    await expect.poll(() => tab.getByRole('dialog').count()).toBe(0)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const [user] = (await clerk.users.getUserList({ emailAddress: [ada] })).data
    expect(user?.emailAddresses[0]?.verification?.status).toBe('verified')
  })

  it('signs up by a link opened in a second tab; the first tab completes by itself', async () => {
    const first = await open(phone)
    const { dialog } = await startSignUp(first, grace)
    const toLink = dialog.getByRole('button', { name: 'Use a link instead' })
    // The code went out a moment ago: the link may be asked for once the cooldown is over.
    await expect.poll(() => toLink.isEnabled(), { timeout: 40_000 }).toBe(true)
    const at = smtp.messages.length
    await toLink.click()
    await dialog.getByText(/^Open the link we sent to/).waitFor({ timeout: STEP_MS })
    const link = linkFrom(await mailTo(grace, at))

    const second_ = await phone.newPage()
    await second_.goto(link)
    await signedInAs(second_, grace)
    expect(new URL(second_.url()).searchParams.get('__clerk_status')).toBe('verified')
    // The first tab saw the sign-up complete (it polls) and signed in without a reload.
    await signedInAs(first, grace)
    await expect.poll(() => first.getByRole('dialog').count()).toBe(0)
    await second_.close()
    await signOut(first)
    await first.close()
  }, 90_000)

  it('signs in with an email code', async () => {
    await signOut(tab)
    await tab.getByRole('button', { name: 'Sign in' }).click()
    const dialog = tab.getByRole('dialog', { name: 'Sign in' })
    await dialog.getByLabel('Email address').fill(ada)
    const at = smtp.messages.length
    await dialog.getByRole('button', { name: 'Email me a code' }).click()
    await dialog.getByRole('heading', { name: 'Check your email' }).waitFor({ timeout: STEP_MS })
    expect(await dialog.getByText(`Enter the 6-digit code we sent to ${ada}.`).count()).toBe(1)
    await dialog.getByLabel('Verification code').fill(codeFrom(await mailTo(ada, at)))
    await dialog.getByRole('button', { name: 'Verify' }).click()
    await signedInAs(tab, ada)
  })

  it('signs in with an email link opened in another tab', async () => {
    await signOut(tab)
    await tab.getByRole('button', { name: 'Sign in' }).click()
    const dialog = tab.getByRole('dialog', { name: 'Sign in' })
    await dialog.getByLabel('Email address').fill(ada)
    const at = smtp.messages.length
    await dialog.getByRole('button', { name: 'Email me a link' }).click()
    await dialog.getByText(/^Open the link we sent to/).waitFor({ timeout: STEP_MS })
    const other = await laptop.newPage()
    await other.goto(linkFrom(await mailTo(ada, at)))
    await signedInAs(other, ada)
    await signedInAs(tab, ada)
    await expect.poll(() => tab.getByRole('dialog').count()).toBe(0)
    await other.close()
  })

  it('forgot password: a code, a new password, signed in; the old one refused, other devices signed out', async () => {
    // Ada is also signed in on her phone.
    const other = await open(phone)
    await other.getByRole('button', { name: 'Sign in' }).click()
    const phoneDialog = other.getByRole('dialog', { name: 'Sign in' })
    await phoneDialog.getByLabel('Email address').fill(ada)
    await phoneDialog.getByLabel('Password').fill(PASSWORD)
    await phoneDialog.getByRole('button', { name: 'Continue' }).click()
    await signedInAs(other, ada)

    await signOut(tab)
    await tab.getByRole('button', { name: 'Sign in' }).click()
    const dialog = tab.getByRole('dialog', { name: 'Sign in' })
    await dialog.getByLabel('Email address').fill(ada)
    const at = smtp.messages.length
    await dialog.getByRole('button', { name: 'Forgot password?' }).click()
    await dialog.getByRole('heading', { name: 'Reset your password' }).waitFor({ timeout: STEP_MS })
    await dialog.getByLabel('Verification code').fill(codeFrom(await mailTo(ada, at)))
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await dialog.getByRole('heading', { name: 'Set a new password' }).waitFor({ timeout: STEP_MS })
    const newPassword = dialog.getByRole('textbox', { name: 'New password' })
    expect(await isFocused(newPassword)).toBe(true)
    expect(await dialog.getByLabel('Sign out of all other devices').isChecked()).toBe(true)
    await newPassword.fill(NEW_PASSWORD)
    await dialog.getByRole('button', { name: 'Reset password' }).click()
    await signedInAs(tab, ada)

    // The phone's session ended with the reset.
    await other.reload()
    await expect.poll(() => status(other).textContent()).toBe('Signed out')
    // The old password is refused, the new one accepted.
    await other.getByRole('button', { name: 'Sign in' }).click()
    await phoneDialog.getByLabel('Email address').fill(ada)
    await phoneDialog.getByLabel('Password').fill(PASSWORD)
    await phoneDialog.getByRole('button', { name: 'Continue' }).click()
    await expect
      .poll(() => phoneDialog.getByRole('alert').textContent())
      .toBe('Password is incorrect. Try again.')
    await phoneDialog.getByLabel('Password').fill(NEW_PASSWORD)
    await phoneDialog.getByRole('button', { name: 'Continue' }).click()
    await signedInAs(other, ada)
    await other.close()
  }, 60_000)

  it('the profile adds a second address, verifies it with a code, makes it primary and removes the first', async () => {
    const profile = tab.locator('#profile')
    const list = profile.getByRole('list', { name: 'Email addresses' })
    await expect.poll(() => list.getByRole('listitem').count()).toBe(1)
    await profile.getByLabel('Add an email address').fill(second)
    const at = smtp.messages.length
    await profile.getByRole('button', { name: 'Add email address' }).click()
    const code = profile.getByLabel('Verification code')
    await code.waitFor({ timeout: STEP_MS })
    expect(await isFocused(code)).toBe(true)
    await expect.poll(() => list.getByRole('listitem').count()).toBe(2)
    expect(await list.getByRole('listitem').nth(1).textContent()).toContain('Unverified')
    await code.fill(codeFrom(await mailTo(second, at)))
    await profile.getByRole('button', { name: 'Verify', exact: true }).click()
    const section = profile.getByRole('region', { name: 'Email addresses' })
    await expect
      .poll(() => section.getByRole('status').last().textContent(), { timeout: STEP_MS })
      .toBe(`${second} is verified.`)

    const makePrimary = profile.getByRole('button', { name: `Make ${second} primary` })
    expect(await isFocused(makePrimary)).toBe(true)
    await makePrimary.click()
    await signedInAs(tab, second)
    await profile.getByRole('button', { name: `Remove ${ada}` }).click()
    await expect.poll(() => list.getByRole('listitem').count()).toBe(1)

    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const [user] = (await clerk.users.getUserList({ emailAddress: [second] })).data
    expect(user?.emailAddresses.map((e) => e.emailAddress)).toEqual([second])
    expect(user?.primaryEmailAddress?.verification?.status).toBe('verified')
  })
  it('offers only what the environment enables: no link and no reset when they are off', async () => {
    const { first_factors } = await server.services.instance.settings()
    await server.services.instance.updateSettings({
      first_factors: { ...first_factors, email_link: false, reset_password_email_code: false },
    })
    const fresh = await browser.newContext()
    try {
      const page = await open(fresh)
      await page.getByRole('button', { name: 'Sign in' }).click()
      const dialog = page.getByRole('dialog', { name: 'Sign in' })
      await dialog.getByLabel('Email address').waitFor()
      expect(await dialog.getByRole('button', { name: 'Email me a code' }).count()).toBe(1)
      expect(await dialog.getByRole('button', { name: 'Email me a link' }).count()).toBe(0)
      expect(await dialog.getByRole('button', { name: 'Forgot password?' }).count()).toBe(0)
    } finally {
      await fresh.close()
      await server.services.instance.updateSettings({ first_factors })
    }
  })
})
