import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type ClerkApp, startClerkApp } from './helpers/clerk/clerk-app.js'
import { createUser } from './helpers/clerk/latchkey-checks.js'
import { addVirtualAuthenticator } from './helpers/virtual-authenticator.js'

/*
 * Issue #17 item 5 with Clerk's own clerk-js 6.40.0, unchanged, in Chromium with its virtual
 * authenticator: `user.createPasskey()` registers a passkey (a real WebAuthn ceremony on the
 * app's origin, `localhost`, which is the RP ID), then `signIn.authenticateWithPasskey()` signs
 * in with it, usernameless (`flow: 'discoverable'`) and after an identifier; the passkey is
 * renamed and deleted with clerk-js's own `passkey.update()` and `passkey.delete()`.
 */

const FIXTURE = new URL('./fixtures/clerk-vanilla/', import.meta.url)
const PASSWORD = 'clerk passkeys passphrase 3'

type Passkey = {
  id: string
  name: string | null
  lastUsedAt: Date | null
  verification: { status: string } | null
  update(p: { name: string }): Promise<Passkey>
  delete(): Promise<unknown>
}
type SignIn = {
  status: string
  createdSessionId: string | null
  supportedFirstFactors: { strategy: string }[] | null
  create(p: Record<string, string>): Promise<SignIn>
  authenticateWithPasskey(p?: { flow?: 'discoverable' }): Promise<SignIn>
}
type ClerkWindow = {
  clerk: {
    loaded: boolean
    client: { signIn: SignIn }
    user: {
      id: string
      passkeys: Passkey[]
      createPasskey(): Promise<Passkey>
      reload(): Promise<unknown>
    } | null
    setActive(p: { session: string | null }): Promise<void>
    signOut(): Promise<void>
  }
}

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)("Clerk's passkeys on Latchkey (%s)", (dialect) => {
  let browser: Browser
  let server: TestServer
  let app: ClerkApp

  beforeAll(async () => {
    browser = await launchChromium()
    const port = await freePort()
    // WebAuthn needs a domain for its RP ID (not an IP address): the app is served as localhost.
    server = await createTestServer(dialect, {
      env: {
        LATCHKEY_ALLOWED_ORIGINS: `http://localhost:${port}`,
        LATCHKEY_PASSKEY_RP_ID: 'localhost',
      },
    })
    app = await startClerkApp({
      root: FIXTURE,
      port,
      host: 'localhost',
      latchkeyUrl: server.url,
      publishableKey: server.publishableKey,
    })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await server?.close()
    await browser?.close()
  })

  // Under a full CI run Clerk's own navigations once raced the test's (as in clerk-vanilla):
  // each attempt uses a fresh user, page and authenticator, so a retry is independent.
  let attempt = 0
  it('createPasskey, then authenticateWithPasskey usernameless and with an identifier; rename, delete', {
    retry: 2,
    timeout: 180_000,
  }, async () => {
    attempt += 1
    const email = `clerk-passkey-${attempt}@example.com`
    const userId = await createUser(server, { email, password: PASSWORD })
    const context = await browser.newContext()
    // clerk-js refuses WebAuthn when navigator.webdriver is true (a bot, it decides); Clerk's own
    // passkey tests (clerk/javascript integration/tests/passkeys.test.ts) mask it the same way.
    await context.addInitScript(() => {
      Object.defineProperty(Object.getPrototypeOf(navigator), 'webdriver', { get: () => false })
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    const authenticator = await addVirtualAuthenticator(page)
    const clerkReady = () =>
      expect
        .poll(
          () =>
            page
              .evaluate(() => (window as unknown as ClerkWindow).clerk?.loaded === true)
              .catch(() => false),
          { timeout: 60_000 },
        )
        .toBe(true)
    const load = async () => {
      await page.goto(app.url)
      await clerkReady()
    }
    /**
     * clerk.signOut() ends the session and reloads the after-sign-out page itself (this one).
     * The test waits for that navigation rather than starting its own: under a full CI run a
     * goto issued while Clerk's was still in flight never reached `load`.
     */
    const signOut = async () => {
      const navigated = page.waitForEvent('framenavigated', {
        predicate: (frame) => frame === page.mainFrame(),
        timeout: 60_000,
      })
      await page
        .evaluate(() => (window as unknown as ClerkWindow).clerk.signOut())
        .catch(() => undefined)
      await navigated
      await page.waitForLoadState('load', { timeout: 60_000 })
      await clerkReady()
      expect(await page.evaluate(() => (window as unknown as ClerkWindow).clerk.user)).toBeNull()
    }
    await load()

    // Signed in with the password, the user adds a passkey (clerk-js's own ceremony).
    const made = await page.evaluate(
      async ({ email, password }) => {
        const { clerk } = window as unknown as ClerkWindow
        const signIn = await clerk.client.signIn.create({ identifier: email, password })
        await clerk.setActive({ session: signIn.createdSessionId })
        const passkey = await clerk.user?.createPasskey()
        await clerk.user?.reload()
        return {
          id: passkey?.id,
          status: passkey?.verification?.status,
          listed: clerk.user?.passkeys.map((p) => p.id),
        }
      },
      { email, password: PASSWORD },
    )
    expect(made.status).toBe('verified')
    expect(made.id).toMatch(/^pk_/)
    expect(made.listed).toEqual([made.id])
    expect(await authenticator.credentials()).toHaveLength(1)

    // Usernameless: no identifier typed; the browser offers the passkey it holds.
    await signOut()
    const discoverable = await page.evaluate(async () => {
      const { clerk } = window as unknown as ClerkWindow
      const signIn = await clerk.client.signIn.authenticateWithPasskey({ flow: 'discoverable' })
      await clerk.setActive({ session: signIn.createdSessionId })
      return { status: signIn.status, user: clerk.user?.id }
    })
    expect(discoverable).toEqual({ status: 'complete', user: userId })

    // With an identifier: the sign-in offers `passkey` and the options list this credential.
    await signOut()
    const withIdentifier = await page.evaluate(async (email) => {
      const { clerk } = window as unknown as ClerkWindow
      const started = await clerk.client.signIn.create({ identifier: email })
      const offered = started.supportedFirstFactors?.map((f) => f.strategy)
      const signIn = await clerk.client.signIn.authenticateWithPasskey()
      await clerk.setActive({ session: signIn.createdSessionId })
      const passkey = clerk.user?.passkeys[0]
      return {
        offered,
        status: signIn.status,
        user: clerk.user?.id,
        lastUsed: passkey?.lastUsedAt !== null,
      }
    }, email)
    expect(withIdentifier).toMatchObject({ status: 'complete', user: userId, lastUsed: true })
    expect(withIdentifier.offered).toContain('passkey')

    // clerk-js's passkey.update() and passkey.delete().
    const after = await page.evaluate(async () => {
      const { clerk } = window as unknown as ClerkWindow
      const passkey = clerk.user?.passkeys[0]
      const renamed = await passkey?.update({ name: 'My laptop' })
      await clerk.user?.reload()
      const name = clerk.user?.passkeys[0]?.name
      await clerk.user?.passkeys[0]?.delete()
      await clerk.user?.reload()
      return { renamed: renamed?.name, name, left: clerk.user?.passkeys.length }
    })
    expect(after).toEqual({ renamed: 'My laptop', name: 'My laptop', left: 0 })
    const bapi = await fetch(`${server.url}/v1/users/${userId}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(((await bapi.json()) as { passkeys: unknown[] }).passkeys).toEqual([])
    expect(errors).toEqual([])
    await context.close()
  })
})
