import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { UpstreamIdp } from '../packages/server/test/helpers/upstream-idp.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import {
  bapiPost,
  type SignInApps,
  startSignInApps,
  statusOf,
} from './helpers/clerk/sign-in-apps.js'

const STEP_MS = 30_000

/**
 * Issue #18 item 4 in Clerk's UI unchanged (clerk-js 6 + @clerk/ui behind the app's /__clerk
 * proxy): the person types an address whose domain has an OpenID Connect enterprise
 * connection; the environment's `enterprise_sso.enabled` keeps the password out of the
 * first request, the sign-in offers `enterprise_sso` only, and <SignIn/> goes to the IdP (a real oidc-provider on
 * loopback, its login page filled), comes back and is signed in — a new user the first time,
 * the same user the second.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  "Clerk's <SignIn/> with an enterprise OIDC connection in Chromium (%s)",
  (dialect) => {
    const RETRY = { retry: 2, timeout: 120_000 }
    const domain = `oidc-e2e-${dialect}.test`
    let server: TestServer
    let idp: UpstreamIdp
    let clerkApp: ClerkApp
    let browser: Browser

    let apps: SignInApps

    beforeAll(async () => {
      apps = await startSignInApps(dialect, {
        plain: false,
        upstreams: async (s) => {
          idp = await UpstreamIdp.start(`${s.url}/v1/oauth_callback`, { loginForm: true })
          await bapiPost(s, '/v1/enterprise_connections', {
            name: 'Acme',
            provider: 'oidc_custom',
            domains: [domain],
            active: true,
            oidc: {
              discovery_url: idp.issuer,
              client_id: idp.clientId,
              client_secret: idp.clientSecret,
            },
          })
          return [idp]
        },
      })
      ;({ server, clerkApp, browser } = apps)
    }, 120_000)

    afterAll(() => apps?.close())

    it(
      'types the address, goes to the IdP, is signed in; again: the same user',
      RETRY,
      async () => {
        const email = `grace-${Date.now()}@${domain}`
        const login = `acme-${Date.now()}`
        idp.accounts.set(login, { email, email_verified: true, given_name: 'Grace' })
        const context = await browser.newContext()
        const page = await context.newPage()
        const watch = watchPage(page)
        const signIn = async () => {
          await page.goto(`${clerkApp.url}/sign-in`)
          const identifier = page.locator('input[name=identifier]')
          await identifier.waitFor({ state: 'visible', timeout: STEP_MS })
          await identifier.fill(email)
          await page.locator('.cl-formButtonPrimary').first().click()
        }
        await signIn()
        await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/interaction/`), {
          timeout: STEP_MS,
        })
        await page.getByLabel('Account').fill(login)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toMatch(/^Signed in as user_/)
        const userId = await userIdByEmail(server, email)
        expect(await statusOf(page)).toBe(`Signed in as ${userId}`)

        await page.evaluate(() =>
          (window as unknown as { clerk: { signOut(): Promise<void> } }).clerk.signOut(),
        )
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        // The IdP remembers the person (its session): no login page this time.
        await signIn()
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${userId}`)
        watch.assertClean()
        await context.close()
      },
    )
  },
)
