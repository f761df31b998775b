import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startViteReactExample } from '../examples/vite-react/server.js'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

/**
 * The Vite + React example (Clerk's component names from `@latchkey/react`) in Chromium, served
 * by Vite from another origin: sign up and sign in through the modal buttons, the backend
 * verifies `getToken()`'s token, and the user button signs out.
 */
describe.skipIf(!HAVE_CHROMIUM)('Vite + React example in Chromium', () => {
  let server: TestServer
  let example: Awaited<ReturnType<typeof startViteReactExample>>
  let appUrl: string
  let browser: Browser

  beforeAll(async () => {
    const port = await freePort()
    appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer('sqlite', { env: { LATCHKEY_ALLOWED_ORIGINS: appUrl } })
    example = await startViteReactExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await example?.close()
    await server?.close()
  })

  it('signs up, calls its backend with the token, signs out and signs in again', async () => {
    const page = await browser.newPage()
    await page.goto(appUrl)
    const status = page.getByRole('status')
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('You are signed out.')

    await page.getByRole('button', { name: 'Sign up' }).click()
    const signUp = page.getByRole('dialog', { name: 'Sign up' })
    await signUp.getByLabel('First name').fill('Grace')
    await signUp.getByLabel('Email address').fill('grace@example.com')
    await signUp.getByLabel('Password', { exact: true }).fill('react example passphrase')
    await signUp.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => status.textContent()).toBe('Hello, Grace!')

    await page.getByRole('button', { name: 'Call the backend' }).click()
    await expect
      .poll(() => page.getByTestId('api-result').textContent())
      .toContain('"signedIn": true')

    await page.getByRole('button', { name: /Open user menu for Grace/ }).click()
    await page.getByRole('menuitem', { name: 'Sign out' }).click()
    await expect.poll(() => status.textContent()).toBe('You are signed out.')

    await page.getByRole('button', { name: 'Sign in' }).click()
    const signIn = page.getByRole('dialog', { name: 'Sign in' })
    await signIn.getByLabel('Email address').fill('nobody@example.com')
    await signIn.getByLabel('Password').fill('react example passphrase')
    await signIn.getByRole('button', { name: 'Continue' }).click()
    await expect
      .poll(() => signIn.getByRole('alert').textContent())
      .toBe('We couldn’t find an account with that email address or username.')
    await signIn.getByLabel('Email address').fill('grace@example.com')
    await signIn.getByRole('button', { name: 'Continue' }).click()
    await expect.poll(() => status.textContent()).toBe('Hello, Grace!')
  }, 120_000)
})
