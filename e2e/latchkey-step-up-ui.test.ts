import type { Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlainHtmlExample } from '../examples/plain-html/server.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'a brand new passphrase here'
const STEP_MS = 15_000

type LatchkeyWindow = {
  latchkey: {
    user: {
      createTOTP(): Promise<{ secret: string }>
      verifyTOTP(p: { code: string }): Promise<{ backupCodes?: string[] }>
    }
  }
}

/**
 * Issue #17 item 7 in Chromium, Latchkey's own prebuilt UI: with reverification on, a sensitive
 * profile action answered `session_reverification_required` shows "Verification required"
 * (the password, or the authenticator's code once one is set up) and is retried; with
 * `mfa_required` on, a new session is `pending` on `setup-mfa` and the sign-in or sign-up shows
 * "Set up two-step verification" before the user counts as signed in.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'step-up and required two-step verification in the prebuilt UI (%s)',
  (dialect) => {
    let server: TestServer
    let app: Server
    let appUrl: string
    let browser: Browser
    let ctx: BrowserContext
    let tab: Page

    beforeAll(async () => {
      const port = await freePort()
      appUrl = `http://127.0.0.1:${port}`
      server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: appUrl } })
      app = await startPlainHtmlExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
      browser = await launchChromium()
    })

    afterAll(async () => {
      await browser?.close()
      await new Promise((r) => app?.close(r))
      await server?.close()
    })

    const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const settings = async (body: object) => {
      const r = await fetch(`${server.url}/v1/instance/user_settings`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      })
      expect(r.status).toBe(200)
    }
    const reverificationOn = () =>
      settings({
        reverification: { enabled: true, max_age_minutes: 10, level: 'second_factor' },
        mfa_required: false,
      })
    const status = () => tab.locator('#status')
    const signedIn = (email: string) =>
      expect.poll(() => status().textContent(), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
    const passwordWorks = async (userId: string, password: string) =>
      clerk()
        .users.verifyPassword({ userId, password })
        .then(
          (r) => r.verified,
          () => false,
        )

    async function freshTab() {
      await ctx?.close()
      ctx = await browser.newContext()
      tab = await ctx.newPage()
      await tab.goto(appUrl)
      await expect.poll(() => status().textContent(), { timeout: STEP_MS }).toBe('Signed out')
    }

    async function signInWithPassword(email: string) {
      await tab.getByRole('button', { name: 'Sign in' }).click()
      const dialog = tab.getByRole('dialog', { name: 'Sign in' })
      await dialog.getByLabel('Email address').fill(email)
      await dialog.getByLabel('Password').fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Continue' }).click()
      return dialog
    }

    const passwordSection = () =>
      tab.locator('#profile').getByRole('region', { name: 'Password', exact: true })

    /** Submits a new password in the profile; the step-up shows in the section instead. */
    async function changePassword(): Promise<Locator> {
      const section = passwordSection()
      // With reverification on, the step-up stands in for the current password (as Clerk's form).
      expect(await section.getByLabel('Current password').count()).toBe(0)
      await section.getByLabel('New password').fill(NEW_PASSWORD)
      await section.getByRole('button', { name: 'Update password' }).click()
      const step = section.getByRole('group', { name: 'Verification required' })
      await step.waitFor({ timeout: STEP_MS })
      return step
    }

    it('a stale session changes its password after proving the password again', async () => {
      await reverificationOn()
      const email = `stepup-${dialect}@example.com`
      const { id: userId } = await clerk().users.createUser({
        emailAddress: [email],
        password: PASSWORD,
      })
      await freshTab()
      await signInWithPassword(email)
      await signedIn(email)
      // Time travel: the session's first factor was proved half an hour ago.
      await server.db.db
        .updateTable('sessions')
        .set({ first_factor_at: Date.now() - 30 * 60_000, created_at: Date.now() - 30 * 60_000 })
        .where('user_id', '=', userId)
        .execute()

      const step = await changePassword()
      expect(await passwordWorks(userId, NEW_PASSWORD)).toBe(false)
      const field = step.getByLabel('Password')
      expect(await field.evaluate((el) => el === document.activeElement)).toBe(true)
      // A wrong password: refused on the field, the step stays.
      await field.fill('not my password at all')
      await step.getByRole('button', { name: 'Continue' }).click()
      await expect
        .poll(() => step.getByRole('alert').textContent())
        .toBe('Password is incorrect. Try again.')
      expect(await passwordWorks(userId, NEW_PASSWORD)).toBe(false)
      await field.fill(PASSWORD)
      await step.getByRole('button', { name: 'Continue' }).click()
      await expect
        .poll(() => passwordSection().getByRole('status').textContent(), { timeout: STEP_MS })
        .toBe('Password updated.')
      expect(await step.count()).toBe(0)
      expect(await passwordWorks(userId, NEW_PASSWORD)).toBe(true)
      expect(await passwordWorks(userId, PASSWORD)).toBe(false)
      await signedIn(email)
    }, 60_000)

    it('with an authenticator app set up, the step asks for its code', async () => {
      await reverificationOn()
      const email = `stepup-totp-${dialect}@example.com`
      const { id: userId } = await clerk().users.createUser({
        emailAddress: [email],
        password: PASSWORD,
      })
      await freshTab()
      await signInWithPassword(email)
      await signedIn(email)
      // Set up through the SDK; this session never proved the second factor.
      const secret = await tab.evaluate(
        async () => (await (window as unknown as LatchkeyWindow).latchkey.user.createTOTP()).secret,
      )
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) })
      const backupCodes = await tab.evaluate(
        async (code) =>
          (await (window as unknown as LatchkeyWindow).latchkey.user.verifyTOTP({ code }))
            .backupCodes ?? [],
        totp.generate(),
      )
      expect(backupCodes).toHaveLength(10)

      const step = await changePassword()
      expect(await step.getByLabel('Password').count()).toBe(0)
      // Backup codes are offered too, and back.
      await step.getByRole('button', { name: 'Use a backup code' }).click()
      await step.getByLabel('Backup code').waitFor()
      await step.getByRole('button', { name: 'Use your authenticator app' }).click()
      // The enrolment spent this 30-second step's code: the app's next one (accepted a step early).
      await step
        .getByLabel('Authenticator code')
        .fill(totp.generate({ timestamp: Date.now() + 30_000 }))
      await step.getByRole('button', { name: 'Continue' }).click()
      await expect
        .poll(() => passwordSection().getByRole('status').textContent(), { timeout: STEP_MS })
        .toBe('Password updated.')
      expect(await passwordWorks(userId, NEW_PASSWORD)).toBe(true)

      // The second factor goes stale: regenerating the backup codes asks again, here for one.
      await server.db.db
        .updateTable('sessions')
        .set({ second_factor_at: Date.now() - 30 * 60_000 })
        .where('user_id', '=', userId)
        .execute()
      // The profile was drawn before the SDK call set the app up: load it again.
      await tab.reload()
      await signedIn(email)
      const security = tab
        .locator('#profile')
        .getByRole('region', { name: 'Two-step verification' })
      await security.getByRole('button', { name: 'Regenerate backup codes' }).click()
      const again = security.getByRole('group', { name: 'Verification required' })
      await again.waitFor({ timeout: STEP_MS })
      await again.getByRole('button', { name: 'Use a backup code' }).click()
      await again.getByLabel('Backup code').fill(backupCodes[0] ?? '')
      await again.getByRole('button', { name: 'Continue' }).click()
      const list = security.getByRole('list', { name: 'Backup codes' })
      await list.waitFor({ timeout: STEP_MS })
      const fresh = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim())
      expect(fresh).toHaveLength(10)
      expect(fresh.filter((c) => backupCodes.includes(c))).toEqual([])
      await security.getByRole('button', { name: 'I’ve saved them' }).click()
      // Just proved: removing the app asks nothing more.
      await security.getByRole('button', { name: 'Remove authenticator app' }).click()
      await security.getByRole('button', { name: 'Yes, remove it' }).click()
      await expect
        .poll(() => security.getByRole('status').textContent(), { timeout: STEP_MS })
        .toBe('The authenticator app was removed.')
      const user = await clerk().users.getUser(userId)
      expect(user.totpEnabled).toBe(false)
    }, 60_000)

    it('cancelling the step changes nothing', async () => {
      await reverificationOn()
      const email = `stepup-cancel-${dialect}@example.com`
      const { id: userId } = await clerk().users.createUser({
        emailAddress: [email],
        password: PASSWORD,
      })
      await freshTab()
      await signInWithPassword(email)
      await signedIn(email)
      await server.db.db
        .updateTable('sessions')
        .set({ first_factor_at: Date.now() - 30 * 60_000, created_at: Date.now() - 30 * 60_000 })
        .where('user_id', '=', userId)
        .execute()
      const step = await changePassword()
      await step.getByRole('button', { name: 'Cancel' }).click()
      await expect
        .poll(() => passwordSection().getByRole('alert').first().textContent())
        .toBe('Verification was cancelled. Nothing was changed.')
      expect(await passwordWorks(userId, PASSWORD)).toBe(true)
      expect(await passwordWorks(userId, NEW_PASSWORD)).toBe(false)
    }, 60_000)

    /** The "Set up two-step verification" step: enrol with the secret shown, save the codes. */
    async function setUpMfa(dialog: Locator, email: string) {
      await dialog
        .getByRole('heading', { name: 'Set up two-step verification' })
        .waitFor({ timeout: STEP_MS })
      // Pending on its task: not signed in yet.
      expect(await status().textContent()).toBe('Signed out')
      expect(
        await tab.evaluate(
          () => (window as unknown as { latchkey: { isSignedIn: boolean } }).latchkey.isSignedIn,
        ),
      ).toBe(false)
      const uri = await dialog.locator('[data-otpauth-uri]').getAttribute('data-otpauth-uri')
      const parsed = OTPAuth.URI.parse(uri ?? '')
      if (!(parsed instanceof OTPAuth.TOTP)) throw new Error(`not a TOTP URI: ${uri}`)
      const shown = (await dialog.locator('code[data-secret]').textContent()) ?? ''
      expect(shown.replace(/\s/g, '')).toBe(parsed.secret.base32)
      const code = dialog.getByLabel('Code from the app')
      const right = parsed.generate()
      await code.fill(right === '000000' ? '111111' : '000000')
      await dialog.getByRole('button', { name: 'Verify' }).click()
      await expect
        .poll(() => dialog.getByRole('alert').first().textContent())
        .toBe('That code is incorrect. Check your authenticator app and try again.')
      expect(await status().textContent()).toBe('Signed out')
      await code.fill(right)
      await dialog.getByRole('button', { name: 'Verify' }).click()
      const list = dialog.getByRole('list', { name: 'Backup codes' })
      await list.waitFor({ timeout: STEP_MS })
      expect(await list.getByRole('listitem').count()).toBe(10)
      await dialog.getByRole('button', { name: 'I’ve saved them' }).click()
      await signedIn(email)
      await expect.poll(() => tab.getByRole('dialog').count()).toBe(0)
      const [user] = (await clerk().users.getUserList({ emailAddress: [email] })).data
      expect([user?.totpEnabled, user?.backupCodeEnabled]).toEqual([true, true])
      const sessions = await clerk().sessions.getSessionList({ userId: user?.id ?? '' })
      expect(sessions.data.map((s) => s.status)).toEqual(['active'])
    }

    it('with mfa_required, a new user signs up, sets up an authenticator app, and is signed in', async () => {
      await settings({ reverification: { enabled: false }, mfa_required: true })
      const email = `mfa-req-up-${dialect}@example.com`
      await freshTab()
      await tab.getByRole('button', { name: 'Sign up' }).click()
      const dialog = tab.getByRole('dialog', { name: 'Sign up' })
      await dialog.getByLabel('Email address').fill(email)
      await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Create account' }).click()
      await setUpMfa(dialog, email)
    }, 60_000)

    it('with mfa_required, a user without a second factor signs in and sets one up', async () => {
      const email = `mfa-req-in-${dialect}@example.com`
      await clerk().users.createUser({ emailAddress: [email], password: PASSWORD })
      await freshTab()
      const dialog = await signInWithPassword(email)
      await setUpMfa(dialog, email)
      await settings({ mfa_required: false })
    }, 60_000)
  },
)
