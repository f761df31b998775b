import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type ClerkApp, startClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, verifyWithJwks } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'

/*
 * Issue #15 §3 with Clerk's own clerk-js 6.40.0 and @clerk/ui 1.34.0, unchanged, in Chromium (the
 * vanilla fixture, through the app's /__clerk proxy): the session's `last_active_token` from
 * the client rendering; the default avatar and an uploaded one in Clerk's UserButton, uploaded
 * and removed with clerk-js's `user.setProfileImage`; and `user.delete()`.
 */

const FIXTURE = new URL('./fixtures/clerk-vanilla/', import.meta.url)
const PASSWORD = 'profile clerk passphrase 4'
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='

type ClerkWindow = {
  clerk: {
    loaded: boolean
    session: { id: string; lastActiveToken: { jwt: { claims: { sid: string } } } | null } | null
    user: {
      id: string
      imageUrl: string
      hasImage: boolean
      setProfileImage(p: { file: Blob | null }): Promise<unknown>
      reload(): Promise<unknown>
      delete(): Promise<unknown>
    } | null
  }
}

describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)("Clerk's profile on Latchkey (%s)", (dialect) => {
  let browser: Browser
  let server: TestServer
  let app: ClerkApp

  beforeAll(async () => {
    browser = await launchChromium()
    const port = await freePort()
    server = await createTestServer(dialect, {
      env: { LATCHKEY_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` },
    })
    app = await startClerkApp({
      root: FIXTURE,
      port,
      latchkeyUrl: server.url,
      publishableKey: server.publishableKey,
    })
  }, 120_000)
  afterAll(async () => {
    await app?.close()
    await server?.close()
    await browser?.close()
  })

  /** The UserButton's avatar: its URL, and whether the browser could draw it. */
  const avatar = (page: Page) =>
    page
      .locator('.cl-userButtonAvatarBox img')
      .evaluate((img: HTMLImageElement) => ({
        src: img.src,
        drawn: img.complete && img.naturalWidth > 0,
      }))
      .catch(() => undefined)

  it('last_active_token, the default and an uploaded avatar, removing it, deleting the account', async () => {
    const email = 'profile@example.com'
    const userId = await createUser(server, { email, password: PASSWORD })
    const page = await browser.newPage()
    const watch = watchPage(page)
    const ui = new ClerkUI(page)
    await page.goto(app.url)
    await ui.signInWithPassword(email, PASSWORD)
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
      .toBe('Signed in')

    // A reload renders the client: its session carries a verifiable token for this app, which
    // clerk-js keeps as the session's lastActiveToken.
    const rendered = page.waitForResponse(
      (r) => new URL(r.url()).pathname.endsWith('/v1/client') && r.request().method() === 'GET',
    )
    await page.reload()
    const body = (await (await rendered).json()) as {
      response: { sessions: { id: string; last_active_token: { jwt: string } }[] }
    }
    const [session] = body.response.sessions
    const claims = await verifyWithJwks(server, session?.last_active_token.jwt ?? '')
    expect(claims).toMatchObject({ sub: userId, sid: session?.id, azp: app.url })
    await expect
      .poll(() =>
        page.evaluate(() => {
          const { clerk } = window as unknown as ClerkWindow
          return clerk.session?.lastActiveToken?.jwt.claims.sid === clerk.session?.id
        }),
      )
      .toBe(true)

    // No image yet: Latchkey's default avatar, drawn (not a broken image).
    await expect
      .poll(() => avatar(page), { timeout: 30_000 })
      .toEqual({ src: `${server.url}/images/avatar_placeholder.svg`, drawn: true })

    // clerk-js's setProfileImage with a Blob: a multipart upload.
    const uploaded = await page.evaluate(async (b64) => {
      const { clerk } = window as unknown as ClerkWindow
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      await clerk.user?.setProfileImage({ file: new Blob([bytes], { type: 'image/png' }) })
      await clerk.user?.reload()
      return { url: clerk.user?.imageUrl, hasImage: clerk.user?.hasImage }
    }, PNG_BASE64)
    expect(uploaded.hasImage).toBe(true)
    expect(uploaded.url).toMatch(new RegExp(`^${server.url}/images/img_`))
    await expect.poll(() => avatar(page)).toEqual({ src: uploaded.url, drawn: true })

    // setProfileImage({ file: null }) removes it.
    const removed = await page.evaluate(async () => {
      const { clerk } = window as unknown as ClerkWindow
      await clerk.user?.setProfileImage({ file: null })
      await clerk.user?.reload()
      return clerk.user?.hasImage
    })
    expect(removed).toBe(false)
    expect((await fetch(uploaded.url ?? '')).status).toBe(404)

    // user.delete(): the account goes and the browser is signed out.
    await page.evaluate(() => (window as unknown as ClerkWindow).clerk.user?.delete())
    await expect
      .poll(() => page.evaluate(() => (window as unknown as ClerkWindow).clerk.user === null))
      .toBe(true)
    const gone = await fetch(`${server.url}/v1/users/${userId}`, {
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(gone.status).toBe(404)
    watch.assertClean()
    await page.close()
  }, 180_000)
})
