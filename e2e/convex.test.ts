import type { Server } from 'node:http'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { serveBundledPage } from './helpers/static-app.js'

const decode = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString())

/**
 * Convex's `ConvexProviderWithClerk`, given `@latchkey/react`'s `useAuth`, in Chromium: it asks
 * for the `convex` template and gets a token for audience `convex`. The deployment is
 * unreachable, so the check is what Convex asks for and what it receives.
 */
describe.skipIf(!HAVE_CHROMIUM)('ConvexProviderWithClerk with @latchkey/react', () => {
  let server: TestServer
  let app: Server
  let browser: Browser

  beforeAll(async () => {
    const port = await freePort()
    const appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer('sqlite', { env: { LATCHKEY_ALLOWED_ORIGINS: appUrl } })
    app = await serveBundledPage({
      entry: new URL('./fixtures/convex-app.tsx', import.meta.url),
      port,
      publishableKey: server.publishableKey,
    })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await server?.close()
  })

  it('calls getToken({ template: "convex" }) and receives a token whose aud is convex', async () => {
    const preset = await fetch(`${server.url}/v1/jwt_templates/presets/convex`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(preset.status).toBe(200)
    const port = (app.address() as { port: number }).port
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${port}/`)
    // Sign in through the SDK, as the app's own sign-in would.
    await page.evaluate(async () => {
      const lk = window.latchkey
      await lk.load()
      const signUp = await lk.client!.signUp.create({
        emailAddress: 'convex@example.com',
        password: 'convex test passphrase',
        firstName: 'Con',
      })
      await lk.setActive({ session: signUp.createdSessionId })
      window.renderConvex()
    })
    await expect.poll(() => page.evaluate(() => window.convexCalls.length)).toBeGreaterThan(0)
    await expect.poll(() => page.getByText('signed in').count()).toBe(1)
    const calls = await page.evaluate(() => window.convexCalls)
    // Convex's first fetch is `forceRefreshToken: false` → skipCache false; it asks again with
    // skipCache true only after the deployment confirms the token, which this one never does.
    expect(calls[0]?.options).toEqual({ template: 'convex', skipCache: false })
    const claims = decode(calls[0]?.token as string)
    expect(claims).toMatchObject({
      aud: 'convex',
      iss: server.url,
      given_name: 'Con',
      email: 'convex@example.com',
      email_verified: true,
    })
    // And skipCache: true fetches a new token rather than the cached one.
    const fresh = await page.evaluate(async () => {
      const first = await window.latchkey.session!.getToken({ template: 'convex' })
      const forced = await window.latchkey.session!.getToken({
        template: 'convex',
        skipCache: true,
      })
      return { same: first === forced, forced }
    })
    expect(fresh.same).toBe(false)
    expect(decode(fresh.forced as string).aud).toBe('convex')
  })
})
