import { createServer, type Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlainHtmlExample } from '../examples/plain-html/server.js'
import { readmeSnippetFor } from '../packages/server/test/helpers/readme.js'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

const SCREENSHOTS = new URL('../docs/screenshots/', import.meta.url)
const PASSWORD = 'correct horse battery staple'

/**
 * The plain HTML example in real Chromium, served from another origin than the Latchkey server:
 * sign up, sign out, sign in through the modal, the backend verifying getToken()'s token, tabs
 * in sync, and the profile revoking another device's session. Saves the README's screenshots.
 */
describe.skipIf(!HAVE_CHROMIUM)('plain HTML example in Chromium', () => {
  let server: TestServer
  let app: Server
  let appUrl: string
  let browser: Browser
  let laptop: BrowserContext
  let phone: BrowserContext
  const email = 'ada@example.com'

  beforeAll(async () => {
    const port = await freePort()
    appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer('sqlite', { env: { LATCHKEY_ALLOWED_ORIGINS: appUrl } })
    app = await startPlainHtmlExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
    // The app names itself in the prebuilt UI ("to continue to Acme Notes").
    await fetch(`${server.url}/v1/instance`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ application_name: 'Acme Notes' }),
    })
    browser = await launchChromium()
    laptop = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    phone = await browser.newContext({ viewport: { width: 420, height: 900 } })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await server?.close()
  })

  const status = (page: Page) => page.getByRole('status').first()
  const open = async (ctx: BrowserContext) => {
    const page = await ctx.newPage()
    await page.goto(appUrl)
    await expect.poll(() => status(page).textContent()).not.toBe('Loading…')
    return page
  }

  let tab1: Page

  it('signs up through the modal, refusing a breached password first', async () => {
    tab1 = await open(laptop)
    expect(await status(tab1).textContent()).toBe('Signed out')
    await tab1.getByRole('button', { name: 'Sign up' }).click()
    const dialog = tab1.getByRole('dialog', { name: 'Sign up' })
    await dialog.getByLabel('First name').fill('Ada')
    await dialog.getByLabel('Last name').fill('Lovelace')
    await dialog.getByLabel('Email address').fill(email)
    await dialog.getByLabel('Password', { exact: true }).fill('password')
    await tab1.screenshot({ path: new URL('sign-up.png', SCREENSHOTS).pathname })
    await dialog.getByRole('button', { name: 'Create account' }).click()
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toContain('appeared in a data breach')
    const password = dialog.getByLabel('Password', { exact: true })
    expect(await password.getAttribute('aria-invalid')).toBe('true')
    expect(await password.evaluate((el) => el === document.activeElement)).toBe(true)

    await password.fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => status(tab1).textContent()).toBe(`Signed in as ${email}`)
    await expect.poll(() => tab1.getByRole('dialog').count()).toBe(0)
  })

  it('getToken() returns a session token the example backend verifies', async () => {
    await tab1.getByRole('button', { name: 'Call the backend' }).click()
    await expect.poll(() => tab1.locator('#api-result').textContent()).toContain('"signedIn": true')
    const result = JSON.parse((await tab1.locator('#api-result').textContent()) ?? '{}')
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const users = await clerk.users.getUserList({ emailAddress: [email] })
    expect(result.userId).toBe(users.data[0]?.id)
    // The SDK also keeps the token in the app origin's __session cookie for its backend.
    const viaCookie = await tab1.evaluate(async () => (await fetch('/api/me')).status)
    expect(viaCookie).toBe(200)
  })

  it('signs out from the user button menu, by keyboard', async () => {
    const avatar = tab1.getByRole('button', { name: /Open user menu for Ada Lovelace/ })
    await avatar.focus()
    await tab1.keyboard.press('ArrowDown')
    const menu = tab1.getByRole('menu')
    expect(await menu.isVisible()).toBe(true)
    expect(await tab1.evaluate(() => document.activeElement?.textContent)).toBe('Manage account')
    await tab1.keyboard.press('Escape')
    expect(await menu.isVisible()).toBe(false)
    expect(await avatar.evaluate((el) => el === document.activeElement)).toBe(true)
    await tab1.keyboard.press('ArrowDown')
    await tab1.keyboard.press('ArrowDown')
    expect(await tab1.evaluate(() => document.activeElement?.textContent)).toBe('Sign out')
    await tab1.keyboard.press('Enter')
    await expect.poll(() => status(tab1).textContent()).toBe('Signed out')
  })

  it('signs in through the modal: a wrong password first shows its message', async () => {
    const opener = tab1.getByRole('button', { name: 'Sign in' })
    await opener.click()
    let dialog = tab1.getByRole('dialog', { name: 'Sign in' })
    // Escape closes the modal and gives focus back to the button that opened it.
    await tab1.keyboard.press('Escape')
    expect(await dialog.count()).toBe(0)
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true)

    await opener.click()
    dialog = tab1.getByRole('dialog', { name: 'Sign in' })
    expect(await dialog.getByText('to continue to Acme Notes').count()).toBe(1)
    const emailField = dialog.getByLabel('Email address')
    expect(await emailField.evaluate((el) => el === document.activeElement)).toBe(true)
    await emailField.fill(email)
    await dialog.getByLabel('Password').fill('not my password')
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await expect
      .poll(() => dialog.getByRole('alert').textContent())
      .toBe('Password is incorrect. Try again.')
    await tab1.screenshot({ path: new URL('sign-in.png', SCREENSHOTS).pathname })

    await dialog.getByLabel('Password').fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await expect.poll(() => status(tab1).textContent()).toBe(`Signed in as ${email}`)
  })

  it('the profile lists another device’s session and revokes it', async () => {
    // A second device signs in too.
    const phonePage = await open(phone)
    await phonePage.getByRole('button', { name: 'Sign in' }).click()
    const dialog = phonePage.getByRole('dialog', { name: 'Sign in' })
    await dialog.getByLabel('Email address').fill(email)
    await dialog.getByLabel('Password').fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await expect.poll(() => status(phonePage).textContent()).toBe(`Signed in as ${email}`)

    await tab1.reload()
    const devices = tab1.getByRole('list', { name: 'Active devices' })
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(2)
    expect(await devices.getByText('This device').count()).toBe(1)
    await tab1
      .locator('#profile')
      .screenshot({ path: new URL('user-profile.png', SCREENSHOTS).pathname })
    await devices.getByRole('button', { name: /^Revoke/ }).click()
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(1)

    // The phone is signed out: its next look at the client finds no session.
    await phonePage.reload()
    await expect.poll(() => status(phonePage).textContent()).toBe('Signed out')
    expect(await status(tab1).textContent()).toBe(`Signed in as ${email}`)
  })

  it('edits the name and changes the password from the profile', async () => {
    const profile = tab1.locator('#profile')
    await profile.getByLabel('First name').fill('Augusta')
    await profile.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => profile.getByText('Profile saved.').count()).toBe(1)
    await profile.getByLabel('Current password').fill('wrong wrong wrong')
    await profile.getByLabel('New password').fill('a brand new passphrase')
    await profile.getByRole('button', { name: 'Update password' }).click()
    await expect
      .poll(() => profile.getByRole('alert').first().textContent())
      .toBe('Your current password is incorrect.')
    await profile.getByLabel('Current password').fill(PASSWORD)
    await profile.getByRole('button', { name: 'Update password' }).click()
    await expect.poll(() => profile.getByText('Password updated.').count()).toBe(1)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const [user] = (await clerk.users.getUserList({ emailAddress: [email] })).data
    expect(user?.firstName).toBe('Augusta')
    expect(
      (await clerk.users.verifyPassword({ userId: user!.id, password: 'a brand new passphrase' }))
        .verified,
    ).toBe(true)
  })

  it('a second tab follows a sign-out in the first without reloading', async () => {
    const tab2 = await open(laptop)
    expect(await status(tab2).textContent()).toBe(`Signed in as ${email}`)
    await tab1.getByRole('button', { name: /Open user menu/ }).click()
    await tab1.getByRole('menuitem', { name: 'Sign out' }).click()
    await expect.poll(() => status(tab1).textContent()).toBe('Signed out')
    await expect.poll(() => status(tab2).textContent()).toBe('Signed out')
    // Its session token is gone too.
    type Page = { latchkey: { session: { getToken(): Promise<string | null> } | null } }
    const token = await tab2.evaluate(
      () => (window as unknown as Page).latchkey.session?.getToken() ?? null,
    )
    expect(token).toBeNull()
  })

  it('the README’s one-script-tag snippet runs as written: it logs and opens the sign-in modal', async () => {
    const html = readmeSnippetFor('browser-script', server.url).replace(
      'pk_live_bG9jYWxob3N0Ljo0MDAwJA',
      server.publishableKey,
    )
    // Served by a page of its own, on an origin allowed at run time through the Backend API.
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    const page_ = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><meta charset="utf-8"><body>${html}</body>`),
    )
    await new Promise<void>((r) => page_.listen(port, '127.0.0.1', r))
    const allow = await fetch(`${server.url}/v1/instance`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowed_origins: [appUrl, origin] }),
    })
    expect(allow.status).toBe(204)
    const page = await laptop.newPage()
    const logs: string[] = []
    page.on('console', (m) => logs.push(m.text()))
    await page.goto(origin)
    await expect.poll(() => page.getByRole('dialog', { name: 'Sign in' }).count()).toBe(1)
    page_.close()
    expect(logs, logs.join('\n')).toContain('signed out')
  })

  it('the components take their colours from appearance variables and from page CSS', async () => {
    const page = await open(laptop)
    const background = () =>
      page
        .getByRole('dialog')
        .getByRole('button', { name: 'Continue' })
        .evaluate((el) => getComputedStyle(el).backgroundColor)
    type Win = {
      latchkey: { options: Record<string, unknown>; openSignIn(): void; closeSignIn(): void }
    }
    await page.evaluate(() => {
      const lk = (window as unknown as Win).latchkey
      lk.options.appearance = { variables: { colorPrimary: 'rgb(15, 118, 110)' } }
      lk.openSignIn()
    })
    expect(await background()).toBe('rgb(15, 118, 110)')
    await page.evaluate(() => {
      const lk = (window as unknown as Win).latchkey
      lk.closeSignIn()
      lk.options.appearance = {}
      const style = document.createElement('style')
      style.textContent = '.lk-root { --lk-color-primary: rgb(190, 24, 93); }'
      document.head.prepend(style) // before Latchkey's own stylesheet: still wins
      lk.openSignIn()
    })
    expect(await background()).toBe('rgb(190, 24, 93)')
    await page.close()
  })

  it('the hosted pages mount the same components and send the user back to the app', async () => {
    const ctx = await browser.newContext()
    const page = await ctx.newPage()
    await page.goto(`${server.url}/sign-in?redirect_url=${encodeURIComponent(`${appUrl}/`)}`)
    // The bundle replaced the server-rendered form with the prebuilt component.
    await expect.poll(() => page.locator('[data-latchkey="sign-in"]').count()).toBe(1)
    await page.getByLabel('Email address').fill(email)
    await page.getByLabel('Password').fill('a brand new passphrase')
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(`${appUrl}/`)
    await expect.poll(() => status(page).textContent()).toBe(`Signed in as ${email}`)

    await page.goto(`${server.url}/user`)
    await expect.poll(() => page.locator('[data-latchkey="user-profile"]').count()).toBe(1)
    expect(await page.getByLabel('First name').inputValue()).toBe('Augusta')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${server.url}/sign-in`)

    await page.goto(`${server.url}/sign-up`)
    await expect.poll(() => page.locator('[data-latchkey="sign-up"]').count()).toBe(1)
    await page.getByLabel('Email address').fill('hosted-ui@example.com')
    await page.getByLabel('Password', { exact: true }).fill('hosted sign-up passphrase')
    await page.getByRole('button', { name: 'Create account' }).click()
    // With nowhere configured, a hosted sign-up lands on the hosted account page.
    await page.waitForURL(`${server.url}/user`)
    await expect.poll(() => page.getByText('hosted-ui@example.com').count()).toBe(1)
    await ctx.close()
  })
})

describe.skipIf(!HAVE_CHROMIUM)('the prebuilt sign-in under rate limiting, in Chromium', () => {
  let server: TestServer
  let app: Server
  let browser: Browser

  beforeAll(async () => {
    const port = await freePort()
    const appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer('sqlite', {
      env: { LATCHKEY_ALLOWED_ORIGINS: appUrl, LATCHKEY_RATE_LIMIT: 'on' },
    })
    app = await startPlainHtmlExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await server?.close()
  })

  it('says how long to wait once the per-IP limit is reached', async () => {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(app.address() as { port: number }).port}`)
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Signed out')
    await page.getByRole('button', { name: 'Sign in' }).click()
    const dialog = page.getByRole('dialog', { name: 'Sign in' })
    await dialog.getByLabel('Email address').fill('nobody@example.com')
    await dialog.getByLabel('Password').fill('whatever it is')
    const alert = dialog.getByRole('alert')
    // Five sign-in attempts per 10 s per IP (Clerk's limit); the sixth is refused with a wait.
    for (let i = 0; i < 6; i++) {
      await dialog.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => alert.textContent()).not.toBe('')
      if ((await alert.textContent())?.startsWith('Too many')) break
      await page.evaluate(() => {
        for (const el of document.querySelectorAll('[role=alert]')) el.textContent = ''
      })
    }
    expect(await alert.textContent()).toMatch(/^Too many attempts\. Try again in (\d+) seconds?\.$/)
  })
})
