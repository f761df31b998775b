import type { Server } from 'node:http'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { type FakeConvex, startFakeConvex } from './helpers/fake-convex.js'
import { serveBundledPage } from './helpers/static-app.js'

/**
 * Convex's own `ConvexProviderWithClerk` (convex, pinned), given `@latchkey/react`'s `useAuth`,
 * in Chromium, against a stand-in deployment that confirms each token the way Convex's backend
 * does. Convex first asks for the cached `convex` token, then — once the deployment confirmed it —
 * for a fresh one with `skipCache: true`; both verify as Convex would verify them.
 */
describe.skipIf(!HAVE_CHROMIUM)('ConvexProviderWithClerk with @latchkey/react', () => {
  let server: TestServer
  let app: Server
  let convex: FakeConvex
  let browser: Browser
  let appUrl: string

  beforeAll(async () => {
    const port = await freePort()
    appUrl = `http://127.0.0.1:${port}`
    server = await createTestServer('sqlite', { env: { LATCHKEY_ALLOWED_ORIGINS: appUrl } })
    convex = await startFakeConvex(await freePort())
    app = await serveBundledPage({
      entry: new URL('./fixtures/convex-app.tsx', import.meta.url),
      port,
      publishableKey: server.publishableKey,
      globals: { CONVEX_URL: convex.url },
    })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => app?.close(r))
    await convex?.close()
    await server?.close()
  })

  it('asks for the convex template, then skipCache: true once confirmed; Convex accepts both', async () => {
    const preset = await fetch(`${server.url}/v1/jwt_templates/presets/convex`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}` },
    })
    expect(preset.status).toBe(200)
    const page = await browser.newPage()
    await page.goto(appUrl)
    // Sign in through the SDK, as the app's own sign-in would, then render the Convex provider.
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
    await expect.poll(() => page.evaluate(() => window.convexCalls.length)).toBeGreaterThan(1)
    await expect.poll(() => page.getByText('signed in').count()).toBe(1)
    const calls = await page.evaluate(() => window.convexCalls)
    expect(calls.slice(0, 2).map((c) => c.options)).toEqual([
      { template: 'convex', skipCache: false },
      { template: 'convex', skipCache: true },
    ])
    // skipCache: true is a new token, not the cached one.
    expect(calls[1]?.token).not.toBe(calls[0]?.token)

    // The deployment received exactly those tokens; each verifies as Convex verifies it.
    await expect.poll(() => convex.tokens.length).toBeGreaterThan(1)
    expect(convex.tokens.slice(0, 2)).toEqual([calls[0]?.token, calls[1]?.token])
    const discovery = (await (
      await fetch(`${server.url}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string }
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri))
    for (const token of convex.tokens.slice(0, 2)) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: discovery.issuer,
        audience: 'convex',
      })
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' })
      expect(payload).toMatchObject({
        given_name: 'Con',
        email: 'convex@example.com',
        // Signed up in the browser: nobody proved the address (issue #13).
        email_verified: false,
      })
      expect(payload.sub).toMatch(/^user_/)
    }
  })
})
