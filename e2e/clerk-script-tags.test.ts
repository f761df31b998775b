import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type ClerkApp, startClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'

/*
 * Issue #15 §2: Clerk's browser bundles as Latchkey serves them, in Chromium. The pages load
 * clerk-js (6 with @clerk/ui 1, and 5 with its own UI) from script tags at the major-version
 * paths, through the app's /__clerk proxy; the bundles then fetch their chunks from their
 * exact versions. Every Clerk script the browser fetched must have come from Latchkey with 200,
 * and the sign-in must work in Clerk's UI. No storage beyond a sign-in: SQLite only.
 */

const FIXTURE = new URL('./fixtures/clerk-script/', import.meta.url)
const PASSWORD = 'script tag passphrase 7'

describe.skipIf(!HAVE_CHROMIUM)("Clerk's bundles served by Latchkey, in Chromium", () => {
  let server: TestServer
  let app: ClerkApp
  let browser: Browser
  beforeAll(async () => {
    const port = await freePort()
    server = await createTestServer('sqlite', {
      env: { LATCHKEY_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` },
    })
    app = await startClerkApp({
      root: FIXTURE,
      port,
      latchkeyUrl: server.url,
      publishableKey: server.publishableKey,
    })
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await server?.close()
  })

  /** Every script the page fetched under /__clerk/npm/, with its status. */
  const scriptsOf = (page: Page) => {
    const seen: { path: string; status: number }[] = []
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname
      if (path.startsWith('/__clerk/npm/')) seen.push({ path, status: r.status() })
    })
    return seen
  }

  for (const [page_, entry, chunkPrefix] of [
    [
      'clerk-js-6.html',
      '/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js',
      '/__clerk/npm/@clerk/ui@1.34.0/dist/',
    ],
    [
      'clerk-js-5.html',
      '/__clerk/npm/@clerk/clerk-js@5/dist/clerk.browser.js',
      '/__clerk/npm/@clerk/clerk-js@5.128.0/dist/',
    ],
  ] as const) {
    it(`${page_}: loads from Latchkey, its chunks at the exact version, and signs in`, async () => {
      const email = `${page_.replace('.html', '')}@example.com`
      const userId = await createUser(server, { email, password: PASSWORD })
      const page = await browser.newPage()
      const watch = watchPage(page)
      const scripts = scriptsOf(page)
      const ui = new ClerkUI(page)
      await page.goto(`${app.url}/${page_}`)
      await ui.signInWithPassword(email, PASSWORD)
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
        .toBe(`Signed in as ${userId}`)
      await ui.openUserMenu()
      watch.assertClean()
      expect(scripts.map((s) => s.path)).toContain(entry)
      expect(scripts.some((s) => s.path.startsWith(chunkPrefix))).toBe(true)
      expect(scripts.filter((s) => s.status !== 200)).toEqual([])
      await page.close()
    }, 120_000)
  }
})
