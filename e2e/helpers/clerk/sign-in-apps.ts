import type { Server } from 'node:http'
import type { Browser, Page } from 'playwright-core'
import { startPlainHtmlExample } from '../../../examples/plain-html/server.js'
import {
  createTestServer,
  type TestServer,
} from '../../../packages/server/test/helpers/test-server.js'
import { freePort, launchChromium } from '../browser.js'
import { type ClerkApp, startClerkApp } from './clerk-app.js'

/** Something a test started beside Latchkey (an upstream IdP), closed before Latchkey is. */
type Closable = { close(): Promise<unknown> | unknown }

/**
 * What the sign-in tests with an upstream (social, enterprise OIDC and SAML, connected accounts)
 * drive in Chromium: Latchkey, its plain-HTML example on 127.0.0.1 (Latchkey's own prebuilt UI)
 * unless `plain: false`, and Clerk's UI unchanged (clerk-js 6 + @clerk/ui behind the app's
 * /__clerk proxy) on `localhost` — two sites, so two cookie jars, as an app and its auth server
 * on two sites have; the app's client cookie is on the app's side of its proxy.
 */
export type SignInApps = {
  server: TestServer
  /** The plain-HTML example's origin (empty with `plain: false`). */
  plainUrl: string
  clerkApp: ClerkApp
  browser: Browser
  close(): Promise<void>
}

/**
 * Starts them; `upstreams` starts what the test signs in through (it gets the server, to
 * register its callback or create a connection) and returns what to close.
 */
export async function startSignInApps(
  dialect: 'sqlite' | 'postgres',
  opts: { plain?: boolean; upstreams?: (server: TestServer) => Promise<Closable[]> } = {},
): Promise<SignInApps> {
  const [plainPort, clerkPort] = [await freePort(), await freePort()]
  const withPlain = opts.plain !== false
  const plainUrl = withPlain ? `http://127.0.0.1:${plainPort}` : ''
  const clerkOrigin = `http://localhost:${clerkPort}`
  const server = await createTestServer(dialect, {
    env: { LATCHKEY_ALLOWED_ORIGINS: [plainUrl, clerkOrigin].filter(Boolean).join(',') },
  })
  const closables: Closable[] = []
  let plain: Server | undefined
  let clerkApp: ClerkApp | undefined
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await clerkApp?.close()
    await new Promise((r) => (plain ? plain.close(r) : r(undefined)))
    for (const c of closables.reverse()) await c.close()
    await server.close()
  }
  try {
    closables.push(...((await opts.upstreams?.(server)) ?? []))
    if (withPlain)
      plain = await startPlainHtmlExample({
        port: plainPort,
        host: '127.0.0.1',
        latchkeyUrl: server.url,
      })
    clerkApp = await startClerkApp({
      root: new URL('../../fixtures/clerk-social/', import.meta.url),
      port: clerkPort,
      latchkeyUrl: server.url,
      publishableKey: server.publishableKey,
      host: 'localhost',
    })
    browser = await launchChromium(['--host-resolver-rules=MAP localhost 127.0.0.1'])
    return { server, plainUrl, clerkApp, browser, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** The fixture pages' `#status` line, or `navigating` while the page is being replaced. */
export const statusOf = (page: Page) =>
  page
    .locator('#status')
    .textContent()
    .catch(() => 'navigating')

/** A Backend API POST with the server's secret key; throws on anything but 200. */
export async function bapiPost(server: TestServer, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}
