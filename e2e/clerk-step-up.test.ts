import * as OTPAuth from 'otpauth'
import type { Browser, Page, Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { type ClerkStack, startClerkStack } from './helpers/clerk/verification-setup.js'

/*
 * Issue #17 item 4 with Clerk's own clerk-js 6.40.0 and @clerk/ui 1.34.0, unchanged, in Chromium
 * (the vanilla fixture): with reverification on and a session whose first factor is old, changing
 * the password in Clerk's UserProfile gets Clerk's `session_reverification_required`, Clerk's UI
 * asks "Verification required", the password proves it (Latchkey's session verification), and
 * Clerk retries the change, which goes through. With TOTP enrolled (through clerk-js's
 * `user.createTOTP` / `verifyTOTP`), Clerk's prompt asks for the authenticator's code instead.
 */

const FIXTURE = new URL('./fixtures/clerk-vanilla/', import.meta.url)
const PASSWORD = 'step up clerk passphrase 5'
const NEW_PASSWORD = 'stepped up clerk passphrase 6'

type ClerkWindow = {
  clerk: {
    session: { getToken(o: { skipCache: boolean }): Promise<string> }
    user: {
      createTOTP(): Promise<{ secret: string }>
      verifyTOTP(p: { code: string }): Promise<unknown>
    }
  }
}

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  "Clerk's reverification on Latchkey (%s)",
  (dialect) => {
    let stack: ClerkStack
    let browser: Browser
    let server: TestServer
    let app: ClerkApp

    beforeAll(async () => {
      stack = await startClerkStack(dialect, {
        fixture: FIXTURE,
        userSettings: {
          reverification: { enabled: true, max_age_minutes: 10, level: 'second_factor' },
        },
      })
      ;({ browser, server, app } = stack)
    }, 120_000)
    afterAll(() => stack?.close())

    /** Whether the Frontend API now accepts `password` as this user's first factor. */
    const signsInWith = async (email: string, password: string) => {
      const r = await fetch(`${server.url}/v1/client/sign_ins`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ identifier: email, password }).toString(),
      })
      const status = ((await r.json()) as { response?: { status: string } }).response?.status
      return status === 'complete' || status === 'needs_second_factor'
    }

    /** Signs in through Clerk's UI; returns the page, its watch and its password changes. */
    const signIn = async (email: string) => {
      const page = await browser.newPage()
      const watch = watchPage(page)
      const ui = new ClerkUI(page)
      const changes: Response[] = []
      page.on('response', (r) => {
        if (new URL(r.url()).pathname.endsWith('/v1/me/change_password')) changes.push(r)
      })
      await page.goto(app.url)
      await ui.signInWithPassword(email, PASSWORD)
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
        .toBe('Signed in')
      return { page, watch, ui, changes }
    }

    /** UserButton → Manage account → Security → Update password, and Save. */
    const submitNewPassword = async (ui: ClerkUI, password: string) => {
      const profile = await ui.openProfile()
      await profile.locator('.cl-navbarButton__security').click()
      await profile.locator('.cl-profileSectionPrimaryButton__password').click()
      // auth_config.reverification: Clerk's form asks for no current password.
      await profile.locator('input[name="newPassword"]').waitFor({ state: 'visible' })
      expect(await profile.locator('input[name="currentPassword"]').count()).toBe(0)
      await profile.locator('input[name="newPassword"]').fill(password)
      await profile.locator('input[name="confirmPassword"]').fill(password)
      await profile.locator('.cl-formButtonPrimary').click()
    }

    /** Clerk's reverification prompt, over the profile. */
    const reverificationPrompt = async (page: Page) => {
      const prompt = page.locator('.cl-userVerification-root')
      await prompt.waitFor({ state: 'visible', timeout: 60_000 })
      await expect.poll(() => prompt.textContent()).toContain('Verification required')
      return prompt
    }

    /** Clerk retried the change: refused once with Clerk's error, then accepted. */
    const assertRetried = async (changes: Response[]) => {
      await expect
        .poll(() => changes.map((r) => r.status()), { timeout: 30_000 })
        .toEqual([403, 200])
      expect(await changes[0]?.json()).toMatchObject({
        errors: [{ code: 'session_reverification_required' }],
      })
    }

    /** The session token's `fva`, as clerk-js fetches a fresh one. */
    const tokenFva = (page: Page) =>
      page.evaluate(async () => {
        const { clerk } = window as unknown as ClerkWindow
        const jwt = await clerk.session.getToken({ skipCache: true })
        const part = (jwt.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
        return (JSON.parse(atob(part)) as { fva: number[] }).fva
      })

    // Clerk's UI on two loaded cores has lost its prompt once in a full CI run (as in
    // clerk-mfa): each attempt uses a fresh user and page, so a retry is independent.
    let attempt = 0
    it("a stale session changes its password in Clerk's UserProfile after Clerk's reverification prompt", {
      retry: 2,
      timeout: 180_000,
    }, async () => {
      const email = `step-up-${++attempt}@example.com`
      const userId = await createUser(server, { email, password: PASSWORD })
      const { page, watch, ui, changes } = await signIn(email)

      // Time travel: the session's first factor was proved half an hour ago.
      await server.db.db
        .updateTable('sessions')
        .set({ first_factor_at: Date.now() - 30 * 60_000 })
        .where('user_id', '=', userId)
        .execute()

      await submitNewPassword(ui, NEW_PASSWORD)
      const prompt = await reverificationPrompt(page)
      expect(await signsInWith(email, NEW_PASSWORD)).toBe(false)
      const input = prompt.locator('input[name="password"]')
      await input.waitFor({ state: 'visible' })
      await input.fill(PASSWORD)
      await prompt.locator('.cl-formButtonPrimary').click()
      await prompt.waitFor({ state: 'detached', timeout: 30_000 })

      await assertRetried(changes)
      await expect.poll(() => signsInWith(email, NEW_PASSWORD), { timeout: 10_000 }).toBe(true)
      expect(await signsInWith(email, PASSWORD)).toBe(false)
      // The session's token says the first factor was just proved.
      expect(await tokenFva(page)).toEqual([0, -1])
      watch.assertClean()
      await page.close()
    })

    // The same loss of Clerk's prompt under a loaded CI run hit this one once (on PostgreSQL,
    // Node 20): retried the same way, with a fresh user and page.
    let totpAttempt = 0
    it("with TOTP enrolled, Clerk's prompt asks for the authenticator's code", {
      retry: 2,
      timeout: 180_000,
    }, async () => {
      const email = `step-up-totp-${++totpAttempt}@example.com`
      await createUser(server, { email, password: PASSWORD })
      const { page, watch, ui, changes } = await signIn(email)
      // clerk-js's own enrolment calls; the code is computed here with otpauth.
      const secret = await page.evaluate(async () => {
        const { clerk } = window as unknown as ClerkWindow
        return (await clerk.user.createTOTP()).secret
      })
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) })
      const enrolledAt = Date.now()
      await page.evaluate(
        (code) => (window as unknown as ClerkWindow).clerk.user.verifyTOTP({ code }),
        totp.generate({ timestamp: enrolledAt }),
      )
      // Signed in with the password alone: the second factor was never proved on this session.
      await submitNewPassword(ui, NEW_PASSWORD)
      const prompt = await reverificationPrompt(page)
      // The enrolment's time step is spent: wait for the next one.
      const step = (t: number) => Math.floor(t / 30_000)
      while (step(Date.now()) === step(enrolledAt)) await new Promise((r) => setTimeout(r, 500))
      await ui.enterCode(totp.generate({ timestamp: Date.now() }), prompt)
      await prompt.waitFor({ state: 'detached', timeout: 30_000 })

      await assertRetried(changes)
      await expect.poll(() => signsInWith(email, NEW_PASSWORD), { timeout: 10_000 }).toBe(true)
      const [first, second] = await tokenFva(page)
      expect(second).toBe(0)
      expect(first).toBeGreaterThanOrEqual(0)
      watch.assertClean()
      await page.close()
    })
  },
)
