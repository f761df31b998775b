import { createClerkClient } from '@clerk/backend'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { thenPageLoads } from './helpers/clerk-react/page-load.js'
import { type RunningApp, startClerkReactApp } from './helpers/clerk-react/vite-app.js'
import { type FakeConvex, startFakeConvex } from './helpers/fake-convex.js'

/** Clerk's "Convex" JWT template preset, as a Clerk user creates it (DESIGN.md §2). */
const CONVEX_TEMPLATE_CLAIMS = {
  aud: 'convex',
  name: '{{user.full_name}}',
  email: '{{user.primary_email_address}}',
  picture: '{{user.image_url}}',
  nickname: '{{user.username}}',
  given_name: '{{user.first_name}}',
  updated_at: '{{user.updated_at}}',
  family_name: '{{user.last_name}}',
  phone_number: '{{user.primary_phone_number}}',
  email_verified: '{{user.email_verified}}',
  phone_number_verified: '{{user.phone_number_verified}}',
}

/**
 * The Convex guide's React layout, unchanged but for its `.env`: `@clerk/react`'s ClerkProvider
 * around Convex's own `ConvexProviderWithClerk` handed Clerk's `useAuth`. The user signs in through
 * Clerk's UI; Convex's client sends the `convex` template token to the stand-in deployment, which
 * verifies it against Latchkey's discovery and JWKS as Convex does (its `auth.config.ts` names
 * Latchkey's URL and `applicationID: 'convex'`), and `useConvexAuth()` reports authenticated.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'Convex guide with @clerk/react on %s',
  (dialect) => {
    let server: TestServer
    let convex: FakeConvex
    let app: RunningApp
    let browser: Browser

    beforeAll(async () => {
      const port = await freePort()
      server = await createTestServer(dialect, {
        env: { LATCHKEY_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` },
      })
      convex = await startFakeConvex(await freePort(), {
        auth: { domain: server.url, applicationID: 'convex' },
      })
      app = await startClerkReactApp({
        app: 'convex',
        port,
        latchkeyUrl: server.url,
        secretKey: server.secretKey,
        publishableKey: server.publishableKey,
        env: { VITE_CONVEX_URL: convex.url },
      })
      browser = await launchChromium()
    }, 120_000)
    afterAll(async () => {
      await browser?.close()
      await app?.close()
      await convex?.close()
      await server?.close()
    })

    it('signs in through Clerk’s UI; the deployment verifies the convex token; useConvexAuth() says authenticated', async () => {
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      await clerk.jwtTemplates.create({ name: 'convex', claims: CONVEX_TEMPLATE_CLAIMS })
      const user = await clerk.users.createUser({
        emailAddress: ['grace@example.com'],
        password: 'convex guide passphrase',
        firstName: 'Grace',
        lastName: 'Hopper',
      })

      const page = await browser.newPage()
      await page.goto(app.url)
      // The first load also waits for Vite to pre-bundle the SDKs.
      await expect
        .poll(() => page.getByRole('button', { name: 'Sign in' }).count(), { timeout: 60_000 })
        .toBe(1)
      expect(convex.tokens).toEqual([])

      await page.getByRole('button', { name: 'Sign in' }).click()
      await thenPageLoads(page, () =>
        new ClerkUI(page).signInWithPassword('grace@example.com', 'convex guide passphrase'),
      )
      await expect
        .poll(() => page.getByRole('status').allTextContents())
        .toEqual(['Convex: authenticated'])
      await expect.poll(() => new ClerkUI(page).userButton.count()).toBe(1)

      expect(convex.rejections).toEqual([])
      expect(convex.identities.length).toBeGreaterThan(0)
      for (const identity of convex.identities) {
        expect(identity).toMatchObject({
          iss: server.url,
          aud: 'convex',
          sub: user.id,
          name: 'Grace Hopper',
          given_name: 'Grace',
          family_name: 'Hopper',
          email: 'grace@example.com',
          // Created through the Backend API, which vouches for the address (as Clerk's does).
          email_verified: true,
        })
      }

      // Signing out through Clerk's UI signs Convex's client out too.
      await thenPageLoads(page, () => new ClerkUI(page).signOutFromMenu())
      await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).count()).toBe(1)
      expect(await page.getByRole('status').count()).toBe(0)
      await page.close()
    }, 120_000)

    it('is refused by a deployment whose auth.config.ts names another applicationID', async () => {
      // The same user and app; the deployment now expects `aud: "not-convex"`.
      if (convex.auth) convex.auth = { ...convex.auth, applicationID: 'not-convex' }
      const before = convex.rejections.length
      const context = await browser.newContext()
      const page = await context.newPage()
      // Convex's client says so when it gives up on a token its deployment keeps refusing.
      const gaveUp: string[] = []
      page.on('console', (m) => {
        if (m.text().includes('Failed to authenticate')) gaveUp.push(m.text())
      })
      await page.goto(app.url)
      await page.getByRole('button', { name: 'Sign in' }).waitFor()
      await page.getByRole('button', { name: 'Sign in' }).click()
      await thenPageLoads(page, () =>
        new ClerkUI(page).signInWithPassword('grace@example.com', 'convex guide passphrase'),
      )
      await expect.poll(() => gaveUp.length).toBeGreaterThan(0)
      expect(convex.rejections.length).toBeGreaterThan(before)
      expect(convex.rejections.at(-1)).toMatch(/aud/)
      // Clerk is signed in; Convex, having been refused, is not.
      await expect
        .poll(() =>
          page.evaluate(() => (window as { Clerk?: { user?: unknown } }).Clerk?.user != null),
        )
        .toBe(true)
      const view = async () => ({
        loading: await page.getByText('Still loading').count(),
        status: await page.getByRole('status').count(),
        signIn: await page.getByRole('button', { name: 'Sign in' }).count(),
      })
      await expect.poll(view).toEqual({ loading: 0, status: 0, signIn: 1 })
      await context.close()
    }, 120_000)
  },
)
