import { Secret, TOTP } from 'otpauth'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import { type ClerkStack, startClerkStack } from './helpers/clerk/verification-setup.js'

/*
 * Issue #17 item 6 with Clerk's own clerk-js 6.40.0 and @clerk/ui 1.34.0, unchanged, in
 * Chromium: with "MFA required" on, a user without a second factor signs in with a password in
 * Clerk's <SignIn/>, which shows its `setup-mfa` task (TaskSetupMFA) for the pending session;
 * the user adds an authenticator app from the key Clerk's card shows, types its code, sees the
 * backup codes, continues, and is signed in.
 */

const FIXTURE = new URL('./fixtures/clerk-mfa-required/', import.meta.url)
const PASSWORD = 'mfa required clerk passphrase 9'

const codeAt = (secret: string, ms: number) =>
  new TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Secret.fromBase32(secret),
  }).generate({ timestamp: ms })

async function bapi(server: TestServer, method: string, path: string, body?: object) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Record<string, unknown>
}

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)("Clerk's UI, MFA required (%s)", (dialect) => {
  const RETRY = { retry: 2, timeout: 120_000 }
  let stack: ClerkStack
  let browser: Browser
  let server: TestServer
  let app: ClerkApp
  let n = 0

  beforeAll(async () => {
    stack = await startClerkStack(dialect, {
      fixture: FIXTURE,
      userSettings: { mfa_required: true },
    })
    ;({ browser, server, app } = stack)
  }, 120_000)
  afterAll(() => stack?.close())

  const status = (page: Page) =>
    page
      .locator('#status')
      .textContent()
      .catch(() => 'navigating')

  it("signs in, enrols TOTP on Clerk's setup-mfa task, and lands signed in", RETRY, async () => {
    const email = `mfa-req-${dialect}-${++n}@example.com`
    const userId = await createUser(server, { email, password: PASSWORD })
    const page = await browser.newPage()
    const watch = watchPage(page)
    const ui = new ClerkUI(page)
    await page.goto(`${app.url}/sign-in`)
    await ui.signInWithPassword(email, PASSWORD)

    // Clerk's task card for the pending session (<SignIn/> routes to #/…/tasks/setup-mfa).
    const task = page.locator('.cl-tasks-root')
    await task.waitFor({ state: 'visible', timeout: 30_000 })
    await expect.poll(() => status(page), { timeout: 30_000 }).toBe('Pending setup-mfa')
    await task.getByText('Add authenticator application').first().waitFor({ state: 'visible' })
    await task.getByRole('button', { name: "Can't scan QR code?" }).click()
    const secret = (await task.locator('input').first().inputValue()).replace(/\s/g, '')
    expect(secret).toMatch(/^[A-Z2-7]+=*$/)
    await task.locator('.cl-formButtonPrimary').click()
    await ui.enterCode(codeAt(secret, Date.now()), task)

    // Clerk's success card with the backup codes, then Continue: the session is active.
    await task
      .getByText('Authenticator application verification enabled')
      .waitFor({ state: 'visible', timeout: 30_000 })
    await task.getByRole('button', { name: 'Continue' }).click()
    await expect.poll(() => status(page), { timeout: 30_000 }).toBe(`Signed in as ${userId}`)

    const user = await bapi(server, 'GET', `/v1/users/${userId}`)
    expect(user).toMatchObject({ two_factor_enabled: true, totp_enabled: true })
    const sessions = (await bapi(server, 'GET', `/v1/sessions?user_id=${userId}`)) as unknown
    expect(sessions).toMatchObject([{ status: 'active', tasks: null }])
    watch.assertClean()
    await page.close()
  })
})
