import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestServer } from '../packages/server/test/helpers/test-server.js'
import { GITHUB_SHAPE, OAuth2StandIn } from '../packages/server/test/helpers/upstream-oauth2.js'
import { HAVE_CHROMIUM } from './helpers/browser.js'
import type { ClerkApp } from './helpers/clerk/clerk-app.js'
import { ClerkUI } from './helpers/clerk/clerk-ui.js'
import { createUser, userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { watchPage } from './helpers/clerk/page-watch.js'
import {
  bapiPost,
  type SignInApps,
  startSignInApps,
  statusOf,
} from './helpers/clerk/sign-in-apps.js'
import { startUpstreamGoogle, type UpstreamGoogle } from './helpers/upstream-google.js'

const STEP_MS = 30_000
const PASSWORD = 'connected accounts passphrase 7'

/**
 * Issue #18 item 5, "connect a second provider from the profile", in Chromium: a real OpenID
 * Connect provider on loopback as "Google" and a stand-in speaking GitHub's documented OAuth and
 * `/user` + `/user/emails` as "GitHub". In Latchkey's prebuilt UI (the plain-HTML example's
 * profile: "Connected accounts") a user who signed up with Google connects GitHub and
 * disconnects it again, by keyboard; in Clerk's <UserProfile/> unchanged (clerk-js 6 + @clerk/ui
 * behind the app's /__clerk proxy, on another site than Latchkey) a password user does the same
 * with Clerk's "Connect account" menu and its "Remove" form. Each is checked on the server.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'Connected accounts in the profile (%s)',
  (dialect) => {
    const RETRY = { retry: 1, timeout: 150_000 }
    let server: TestServer
    let google: UpstreamGoogle
    let github: OAuth2StandIn
    let plainUrl: string
    let clerkApp: ClerkApp
    let browser: Browser
    let n = 0
    const address = (what: string) => `${what}-${dialect}-${++n}@example.com`

    let apps: SignInApps

    beforeAll(async () => {
      apps = await startSignInApps(dialect, {
        upstreams: async (s) => {
          google = await startUpstreamGoogle(s)
          github = await OAuth2StandIn.start(`${s.url}/v1/oauth_callback`, GITHUB_SHAPE)
          await bapiPost(s, '/v1/oauth_connections', {
            provider: 'github',
            endpoint_base_url: github.origin,
            client_id: github.clientId,
            client_secret: github.clientSecret,
          })
          return [google, github]
        },
      })
      ;({ server, plainUrl, clerkApp, browser } = apps)
    }, 120_000)

    afterAll(() => apps?.close())

    /** The GitHub account the stand-in signs in as next (its primary address private). */
    const githubAccount = (email: string): string => {
      const login = `octo-${dialect}-${++n}`
      github.accounts.set(login, {
        user: { id: 5000 + n, login, name: 'Mona Octocat', email: null },
        emails: [{ email, primary: true, verified: true, visibility: 'private' }],
      })
      github.signInAs = login
      return login
    }

    const accountsOf = async (userId: string) => {
      const res = await fetch(`${server.url}/v1/users/${userId}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      const user = (await res.json()) as {
        external_accounts: { provider: string; provider_user_id: string }[]
      }
      return user.external_accounts.map((a) => [a.provider, a.provider_user_id]).sort()
    }

    it(
      "Latchkey's profile: signed up with Google, connect GitHub, disconnect it (keyboard)",
      RETRY,
      async () => {
        const email = address('latchkey-ui')
        const login = google.account(email)
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(plainUrl)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe('Signed out')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page
          .getByRole('dialog', { name: 'Sign in' })
          .getByRole('button', { name: 'Continue with Google' })
          .click()
        await google.signIn(page, login)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        const userId = await userIdByEmail(server, email)
        expect(await accountsOf(userId)).toEqual([['oauth_google', login]])

        // The profile's "Connected accounts": Google listed, a button for GitHub.
        const section = page.getByRole('region', { name: 'Connected accounts' })
        const list = section.getByRole('list', { name: 'Your connected accounts' })
        await expect.poll(() => list.textContent(), { timeout: STEP_MS }).toContain(email)
        const octo = githubAccount(`private-${email}`)
        const connect = section.getByRole('button', { name: 'Connect GitHub' })
        await connect.focus()
        await page.keyboard.press('Enter')
        // To "GitHub" (which signs the person in at once) and back to this page, linked.
        await expect
          .poll(() => accountsOf(userId), { timeout: STEP_MS })
          .toEqual([
            ['oauth_github', String(5000 + n)],
            ['oauth_google', login],
          ])
        expect(octo).toBeTruthy()
        await page.waitForURL((u) => u.href.startsWith(plainUrl), { timeout: STEP_MS })
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${email}`)
        const githubRow = list.getByRole('listitem').filter({ hasText: 'GitHub' })
        await githubRow.waitFor({ state: 'visible', timeout: STEP_MS })
        expect(await section.getByRole('button', { name: 'Connect GitHub' }).count()).toBe(0)

        // Disconnect, confirmed, by keyboard: gone here and on the server; Google stays.
        await githubRow.getByRole('button', { name: 'Disconnect' }).focus()
        await page.keyboard.press('Enter')
        await githubRow.getByRole('button', { name: 'Yes, disconnect' }).focus()
        await page.keyboard.press('Enter')
        await expect
          .poll(() => section.getByRole('status').textContent(), { timeout: STEP_MS })
          .toContain('GitHub was disconnected.')
        expect(await accountsOf(userId)).toEqual([['oauth_google', login]])
        await section.getByRole('button', { name: 'Connect GitHub' }).waitFor({ timeout: STEP_MS })
        expect(await list.getByRole('listitem').count()).toBe(1)
        await context.close()
      },
    )

    it(
      "Clerk's <UserProfile/> behind the proxy: connect GitHub from the menu, then remove it",
      RETRY,
      async () => {
        const email = address('clerk-ui')
        const userId = await createUser(server, { email, password: PASSWORD })
        const context = await browser.newContext()
        const page = await context.newPage()
        const watch = watchPage(page)
        const ui = new ClerkUI(page)
        await page.goto(`${clerkApp.url}/sign-in`)
        await ui.signInWithPassword(email, PASSWORD)
        await expect.poll(() => statusOf(page), { timeout: STEP_MS }).toBe(`Signed in as ${userId}`)
        // Clerk's sign-in navigates on its own once signed in: wait for it, then go on.
        await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'), { timeout: STEP_MS })
        await page.goto(`${clerkApp.url}/profile`)
        const profile = page.locator('.cl-userProfile-root')
        await profile.waitFor({ state: 'visible', timeout: STEP_MS })
        const section = profile.locator('.cl-profileSection__connectedAccounts')
        await section.waitFor({ state: 'visible', timeout: STEP_MS })
        githubAccount(`octo-${email}`)
        const githubId = String(5000 + n)
        await section.getByRole('button', { name: 'Connect account' }).click()
        await page.getByRole('menuitem', { name: /github/i }).click()
        // To "GitHub", back through Latchkey to the app's proxy (the client cookie), then to
        // the profile page clerk-js left.
        await expect
          .poll(() => accountsOf(userId), { timeout: STEP_MS })
          .toEqual([['oauth_github', githubId]])
        await page.waitForURL((u) => u.href.startsWith(`${clerkApp.url}/profile`), {
          timeout: STEP_MS,
        })
        const back = page.locator('.cl-userProfile-root .cl-profileSection__connectedAccounts')
        const row = back.locator('.cl-profileSectionItem__connectedAccounts', {
          hasText: /github/i,
        })
        await row.waitFor({ state: 'visible', timeout: STEP_MS })

        await row.getByRole('button', { name: 'Open menu' }).click()
        await page.getByRole('menuitem', { name: 'Remove' }).click()
        const form = page.locator('.cl-userProfile-root .cl-formButtonPrimary', {
          hasText: 'Remove',
        })
        await form.click()
        await expect.poll(() => accountsOf(userId), { timeout: STEP_MS }).toEqual([])
        await row.waitFor({ state: 'detached', timeout: STEP_MS })
        watch.assertClean()
        await context.close()
      },
    )
  },
)
