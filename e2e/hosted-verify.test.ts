import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  codeFrom,
  startSmtpServer,
  type TestSmtpServer,
} from '../packages/server/test/helpers/smtp.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

const PASSWORD = 'analytical engine 1843'
const NEW_PASSWORD = 'a brand new passphrase'

/**
 * Issue #16's flows on the hosted pages in Chromium with JavaScript disabled, the code read from
 * the mail a real SMTP server received: sign up and verify with the code; "Forgot password?" to
 * signed in with the new password (the old one refused); "Email me a sign-in code".
 */
describe.skipIf(!HAVE_CHROMIUM)('hosted verification pages in Chromium without JavaScript', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  describe.each(DIALECTS)('%s', (dialect) => {
    let server: TestServer
    let smtp: TestSmtpServer
    let n = 0
    const address = (tag: string) => `e2e-${tag}-${dialect}-${++n}@example.com`

    beforeAll(async () => {
      smtp = await startSmtpServer()
      server = await createTestServer(dialect, { smtpUrl: smtp.url, verifyEmailAtSignUp: true })
    })
    afterAll(async () => {
      await server?.close()
      await smtp?.close()
    })

    const context = async () => {
      const ctx = await browser.newContext({ javaScriptEnabled: false })
      ctx.setDefaultTimeout(10_000)
      return ctx
    }
    const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent()
    const sessions = async (ctx: BrowserContext) => {
      const res = await ctx.request.get(`${server.url}/v1/client`)
      return ((await res.json()).response?.sessions ?? []) as unknown[]
    }
    /** Waits for the next mail to `email` after `at`, and reads its code. */
    const code = async (email: string, at: number) =>
      codeFrom(await smtp.waitForMail(email, { after: at }))

    it('sign-up: the form, "Check your email", a wrong code shown in the form, then the code from the mail signs in', async () => {
      const ctx = await context()
      const page = await ctx.newPage()
      const email = address('signup')
      await page.goto(`${server.url}/sign-up`)
      await page.getByLabel('Email address').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      const at = smtp.messages.length
      await page.getByRole('button', { name: 'Create account' }).click()
      await expect.poll(() => heading(page)).toBe('Check your email')
      expect(await page.getByText('We sent a 6-digit code to').textContent()).toContain(email)
      const sent = await code(email, at)
      const field = page.getByLabel('Verification code')
      expect(await field.getAttribute('autocomplete')).toBe('one-time-code')
      await field.fill(sent === '000000' ? '111111' : '000000')
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('Incorrect code')
      expect(await sessions(ctx)).toHaveLength(0)
      await page.getByLabel('Verification code').fill(sent)
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => heading(page)).toBe('You are signed in')
      expect(await sessions(ctx)).toHaveLength(1)
      await ctx.close()
    })

    it('forgot password: the link, the address, the code from the mail, a new password; signed in, the old password refused', async () => {
      const email = address('reset')
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
      const ctx = await context()
      const page = await ctx.newPage()
      await page.goto(`${server.url}/sign-in`)
      await page.getByRole('link', { name: 'Forgot password?' }).click()
      await expect.poll(() => heading(page)).toBe('Forgot password?')
      await page.getByLabel('Email address').fill(email)
      const at = smtp.messages.length
      await page.getByRole('button', { name: 'Send code' }).click()
      await expect.poll(() => heading(page)).toBe('Check your email')
      await page.getByLabel('Verification code').fill(await code(email, at))
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => heading(page)).toBe('Set a new password')
      expect(await page.getByLabel('Sign out of all other devices').isChecked()).toBe(true)
      await page.getByLabel('New password').fill(NEW_PASSWORD)
      await page.getByLabel('Confirm password').fill(NEW_PASSWORD)
      await page.getByRole('button', { name: 'Reset password' }).click()
      await expect.poll(() => heading(page)).toBe('You are signed in')
      expect(await sessions(ctx)).toHaveLength(1)
      await ctx.close()

      const other = await context()
      const signIn = await other.newPage()
      await signIn.goto(`${server.url}/sign-in`)
      await signIn.getByLabel('Email address').fill(email)
      await signIn.getByLabel('Password').fill(PASSWORD)
      await signIn.getByRole('button', { name: 'Continue' }).click()
      await expect
        .poll(() => signIn.getByRole('alert').textContent())
        .toMatch(/^Password is incorrect/)
      await signIn.getByLabel('Password').fill(NEW_PASSWORD)
      await signIn.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => heading(signIn)).toBe('You are signed in')
      await other.close()
    })

    it('"Email me a sign-in code": the link, the address, the code from the mail; signed in', async () => {
      const email = address('code')
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      await clerk.users.createUser({ emailAddress: [email], password: PASSWORD })
      const ctx = await context()
      const page = await ctx.newPage()
      await page.goto(`${server.url}/sign-in`)
      await page.getByRole('link', { name: 'Email me a sign-in code' }).click()
      await page.getByLabel('Email address').fill(email)
      const at = smtp.messages.length
      await page.getByRole('button', { name: 'Send code' }).click()
      await expect.poll(() => heading(page)).toBe('Check your email')
      await page.getByLabel('Verification code').fill(await code(email, at))
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => heading(page)).toBe('You are signed in')
      expect(await sessions(ctx)).toHaveLength(1)
      await ctx.close()
    })
  })
})
