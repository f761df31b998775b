import type { Server } from 'node:http'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlainHtmlExample } from '../examples/plain-html/server.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { addVirtualAuthenticator } from './helpers/virtual-authenticator.js'

const PASSWORD = 'passkeys in the prebuilt ui 7'
const STEP_MS = 15_000

type BapiPasskey = { id: string; name: string; last_used_at: number | null }

/**
 * Issue #17 item 7 in Chromium with its virtual authenticator (real WebAuthn ceremonies on the
 * app's origin, `localhost`, the RP ID): Latchkey's own prebuilt profile adds a passkey, renames
 * and removes it; the prebuilt sign-in signs in with it through "Sign in with a passkey",
 * usernameless and after the email address; once removed, the authenticator's credential is
 * refused with a message and no session. The Backend API shows the passkeys at each step.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)('passkeys in the prebuilt UI (%s)', (dialect) => {
  let server: TestServer
  let app: Server
  let appUrl: string
  let browser: Browser
  let tab: Page
  let authenticator: Awaited<ReturnType<typeof addVirtualAuthenticator>>
  const errors: string[] = []
  const ada = `ada-passkey-${dialect}@example.com`

  beforeAll(async () => {
    const port = await freePort()
    const serverPort = await freePort()
    // WebAuthn needs a domain for its RP ID (not an IP address): the app is served as localhost,
    // and Latchkey too, so its cookies are same-site with the app's page.
    appUrl = `http://localhost:${port}`
    server = await createTestServer(dialect, {
      port: serverPort,
      env: {
        LATCHKEY_URL: `http://localhost:${serverPort}`,
        LATCHKEY_ALLOWED_ORIGINS: appUrl,
        LATCHKEY_PASSKEY_RP_ID: 'localhost',
      },
    })
    app = await startPlainHtmlExample({ port, host: 'localhost', latchkeyUrl: server.url })
    browser = await launchChromium()
    // No navigator.webdriver mask (clerk-js needs one): @latchkey/js does not refuse automation.
    tab = await (await browser.newContext()).newPage()
    tab.on('pageerror', (e) => errors.push(String(e)))
    authenticator = await addVirtualAuthenticator(tab)
    await tab.goto(appUrl)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await server?.close()
  })

  const status = () => tab.locator('#status')
  const signedIn = () =>
    expect.poll(() => status().textContent(), { timeout: STEP_MS }).toBe(`Signed in as ${ada}`)
  const section = () => tab.locator('#profile').getByRole('region', { name: 'Passkeys' })
  const alertOf = (l: Locator) => l.getByRole('alert').first()
  let userId = ''
  const bapiPasskeys = async () => {
    const res = await fetch(`${server.url}/v1/users/${userId}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    return ((await res.json()) as { passkeys: BapiPasskey[] }).passkeys
  }
  const activeSessions = async () => {
    const res = await fetch(`${server.url}/v1/sessions?user_id=${userId}&status=active`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    const body = (await res.json()) as { data?: unknown[] } | unknown[]
    return (Array.isArray(body) ? body : (body.data ?? [])).length
  }

  async function signOut() {
    await tab.getByRole('button', { name: /Open user menu/ }).click()
    await tab.getByRole('menuitem', { name: 'Sign out' }).click()
    await expect.poll(() => status().textContent()).toBe('Signed out')
  }
  async function openSignIn() {
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click()
    return tab.getByRole('dialog', { name: 'Sign in' })
  }

  it('adds a passkey in the profile and renames it', async () => {
    await tab.getByRole('button', { name: 'Sign up' }).click()
    const dialog = tab.getByRole('dialog', { name: 'Sign up' })
    await dialog.getByLabel('Email address').fill(ada)
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Create account' }).click()
    await signedIn()
    userId = await tab.evaluate(
      () => (window as unknown as { latchkey: { user: { id: string } } }).latchkey.user.id,
    )

    const passkeys = section()
    await passkeys.getByRole('button', { name: 'Add a passkey' }).click()
    await expect
      .poll(() => passkeys.getByRole('status').textContent(), { timeout: STEP_MS })
      .toBe('Passkey was added. You can now sign in with it.')
    const list = passkeys.getByRole('list', { name: 'Your passkeys' })
    expect(await list.getByRole('listitem').count()).toBe(1)
    expect(await list.getByRole('listitem').textContent()).toContain('never used to sign in')
    expect(await authenticator.credentials()).toHaveLength(1)
    const [made] = await bapiPasskeys()
    expect(made).toMatchObject({ name: 'Passkey', last_used_at: null })
    expect(made?.id).toMatch(/^pk_/)

    // Rename: an empty name is refused on the field, then the new name is saved.
    await passkeys.getByRole('button', { name: 'Rename Passkey' }).click()
    const name = passkeys.getByLabel('Passkey name')
    await name.fill('   ')
    await passkeys.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => alertOf(passkeys).textContent()).toBe('Enter your passkey name.')
    expect(await name.getAttribute('aria-invalid')).toBe('true')
    await name.fill('My laptop')
    await passkeys.getByRole('button', { name: 'Save' }).click()
    await expect
      .poll(() => passkeys.getByRole('status').textContent())
      .toBe('Renamed to My laptop.')
    expect(await list.getByRole('listitem').textContent()).toContain('My laptop')
    expect(await bapiPasskeys()).toMatchObject([{ id: made?.id, name: 'My laptop' }])
  }, 60_000)

  it('signs in with “Sign in with a passkey”, without and with the email address', async () => {
    await signOut()
    let dialog = await openSignIn()
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await signedIn()
    const [used] = await bapiPasskeys()
    expect(used?.last_used_at).toEqual(expect.any(Number))

    await signOut()
    dialog = await openSignIn()
    await dialog.getByLabel('Email address').fill(ada)
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await signedIn()
    const [again] = await bapiPasskeys()
    expect(again?.last_used_at).toBeGreaterThanOrEqual(used?.last_used_at ?? 0)
    expect(await activeSessions()).toBe(1)
    const row = section().getByRole('list', { name: 'Your passkeys' }).getByRole('listitem')
    expect(await row.textContent()).toContain('last used')
  }, 60_000)

  it('removes the passkey after a confirmation; the authenticator’s credential then fails cleanly', async () => {
    const passkeys = section()
    await passkeys.getByRole('button', { name: 'Remove My laptop' }).click()
    // Asked first: cancelling keeps it.
    await passkeys.getByRole('button', { name: 'Cancel' }).click()
    expect(await bapiPasskeys()).toHaveLength(1)
    await passkeys.getByRole('button', { name: 'Remove My laptop' }).click()
    await passkeys.getByRole('button', { name: 'Yes, remove it' }).click()
    await expect
      .poll(() => passkeys.getByRole('status').textContent())
      .toBe('My laptop was removed.')
    expect(await passkeys.getByRole('list', { name: 'Your passkeys' }).count()).toBe(0)
    expect(await bapiPasskeys()).toEqual([])

    await signOut()
    const before = await activeSessions()
    const dialog = await openSignIn()
    // The account has no passkey now: said on the email address, before any prompt.
    await dialog.getByLabel('Email address').fill(ada)
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await expect
      .poll(() => alertOf(dialog).textContent())
      .toBe('This account has no passkey yet. Sign in another way, then add one in your account.')
    // Usernameless: the authenticator still holds the credential; the server no longer knows it.
    await dialog.getByLabel('Email address').fill('')
    expect(await authenticator.credentials()).toHaveLength(1)
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await expect
      .poll(() => alertOf(dialog).textContent(), { timeout: STEP_MS })
      .toBe(
        'This passkey isn’t recognised. It may have been removed from your account: sign in another way.',
      )
    expect(await status().textContent()).toBe('Signed out')
    expect(await activeSessions()).toBe(before)
    expect(await dialog.getByRole('button', { name: 'Sign in with a passkey' }).isEnabled()).toBe(
      true,
    )

    // A ceremony that ends in the browser (no passkey here for this site; or the prompt closed):
    // said so, nothing sent, and the button works again.
    await authenticator.clear()
    await dialog.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await expect
      .poll(() => alertOf(dialog).textContent(), { timeout: STEP_MS })
      .toBe(
        'Passkey sign-in was cancelled or timed out, or this device has no passkey for this site.',
      )
    expect(await status().textContent()).toBe('Signed out')
    expect(errors).toEqual([])
  }, 60_000)

  it('offers no passkeys while the instance has them turned off', async () => {
    const off = await fetch(`${server.url}/v1/instance/user_settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ first_factors: { passkey: false } }),
    })
    expect(off.status).toBe(200)
    await tab.reload()
    await expect.poll(() => status().textContent()).toBe('Signed out')
    const dialog = await openSignIn()
    await dialog.getByLabel('Email address').fill(ada)
    expect(await dialog.getByRole('button', { name: 'Sign in with a passkey' }).count()).toBe(0)
    await dialog.getByLabel('Password').fill(PASSWORD)
    await dialog.getByRole('button', { name: 'Continue' }).click()
    await signedIn()
    await tab.locator('#profile').getByRole('region', { name: 'Profile' }).waitFor()
    expect(await section().count()).toBe(0)
    expect(errors).toEqual([])
  }, 60_000)
})
