import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../packages/server/test/helpers/browser-client.js'
import {
  createTestServer,
  DIALECTS,
  freePort,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { UpstreamIdp } from '../packages/server/test/helpers/upstream-idp.js'
import { seriousAxeViolations } from './helpers/axe.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { userIdByEmail } from './helpers/clerk/latchkey-checks.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20, the dashboard's Social sign-in pages, in Chromium on both dialects, against a real
 * OpenID Connect provider on loopback (oidc-provider) registered with the redirect URI the page
 * shows: a `custom_acme` connection created through the UI (a bad issuer first: the API's
 * message, nothing created), offered by the environment Clerk's SDKs read, a person signing in
 * with it on the hosted /sign-in page; its scopes edited with the secret left as it was (the
 * next sign-in still works and asks those scopes); disabled (the environment stops offering it,
 * the Frontend API refuses the strategy); deleted (the API 404s). Axe and 390 px on both pages.
 */

const OPERATOR = 'social-operator@example.com'
const PASSWORD = 'correct horse battery staple'
const PROVIDER = 'custom_acme'
const STRATEGY = `oauth_${PROVIDER}`
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s Social sign-in pages in Chromium', () => {
  let browser: Browser
  beforeAll(async () => {
    await ensureDashboardBuilt()
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  describe.each(DIALECTS)('%s', (dialect) => {
    let server: TestServer
    let idp: UpstreamIdp | undefined
    let context: BrowserContext
    let page: Page
    let connectionId: string
    const axe = async () => expect(await seriousAxeViolations(page)).toEqual([])
    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name })
    const section = (name: string | RegExp) => page.getByRole('region', { name })
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    const bapi = async (path: string) => {
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      return { status: res.status, json: await res.json() }
    }
    const offered = async () => {
      const env = await (await fetch(`${server.url}/v1/environment`)).json()
      return env.user_settings.social[STRATEGY] as { enabled: boolean; name: string } | undefined
    }
    const fapiSignIn = () =>
      new BrowserClient(server.url, server.url).request('POST', '/v1/client/sign_ins', {
        strategy: STRATEGY,
        redirect_url: `${server.url}/user`,
      })

    /** A person at the IdP: "Continue with Acme" on the hosted page, the IdP's login, back. */
    async function signInWithAcme(email: string) {
      const login = `acme-${dialect}-${email.split('@')[0]}`
      idp?.accounts.set(login, { email, email_verified: true, given_name: 'Ada' })
      const person = await browser.newContext()
      const tab = await person.newPage()
      const authorize: URL[] = []
      tab.on('request', (r) => {
        if (idp && r.url().startsWith(`${idp.issuer}/auth?`)) authorize.push(new URL(r.url()))
      })
      await tab.goto(
        `${server.url}/sign-in?redirect_url=${encodeURIComponent(`${server.url}/user`)}`,
      )
      await tab.getByRole('button', { name: 'Continue with Acme' }).click()
      await tab.waitForURL((u) => u.href.startsWith(`${idp?.issuer}/interaction/`))
      await tab.getByLabel('Account').fill(login)
      await tab.getByRole('button', { name: 'Sign in' }).click()
      await tab.waitForURL((u) => u.href.startsWith(`${server.url}/user`), { timeout: 30_000 })
      await person.close()
      return { login, authorize: authorize[0] }
    }

    beforeAll(async () => {
      server = await createTestServer(dialect)
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      const operator = await clerk.users.createUser({
        emailAddress: [OPERATOR],
        password: PASSWORD,
      })
      const made = await fetch(`${server.url}/v1/operators`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ user_id: operator.id }),
      })
      expect(made.status).toBe(200)
      context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: server.url,
      })
      page = await context.newPage()
      page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
      await page.goto(`${server.url}/dashboard/social-connections`)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await heading('Social sign-in').waitFor()
    })
    afterAll(async () => {
      await context?.close()
      await idp?.close()
      await server?.close()
    })

    it('shows the redirect URI to register; the fields follow the provider', async () => {
      const nav = page.getByRole('navigation', { name: 'Dashboard' })
      expect(
        await nav.getByRole('link', { name: 'Social sign-in' }).getAttribute('aria-current'),
      ).toBe('page')
      await expect.poll(() => page.getByText('No social connections yet.').isVisible()).toBe(true)
      const form = section('Add a social connection')
      await expect
        .poll(() => form.getByTestId('redirect-uri').textContent())
        .toBe(`${server.url}/v1/oauth_callback`)
      await form.getByRole('button', { name: 'Copy redirect URI' }).click()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
        `${server.url}/v1/oauth_callback`,
      )
      // Google: a client id and secret, no issuer.
      expect(await form.getByLabel('Client secret').isVisible()).toBe(true)
      expect(await form.getByLabel(/^Issuer/).count()).toBe(0)
      // Microsoft names its tenant's issuer; Apple signs with a team key instead of a secret.
      await form.getByLabel('Provider').selectOption('microsoft')
      expect(await form.getByLabel('Issuer', { exact: true }).getAttribute('required')).toBe('')
      await form.getByLabel('Provider').selectOption('apple')
      for (const label of ['Services ID', 'Team ID', 'Key ID', 'Private key (.p8 PEM)'])
        expect(await form.getByLabel(label).isVisible()).toBe(true)
      expect(await form.getByLabel('Client secret').count()).toBe(0)
      expect(await form.getByText(/Return URLs \(https only\)/).isVisible()).toBe(true)
      await form.getByLabel('Provider').selectOption('github')
      expect(await form.getByLabel('Endpoint base URL (optional)').isVisible()).toBe(true)
      await form.getByLabel('Provider').selectOption('custom')
      await axe()
      await page.setViewportSize({ width: 390, height: 844 })
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })
    })

    it('refuses an issuer whose discovery fails, with the API’s words; nothing is created', async () => {
      const form = section('Add a social connection')
      await form.getByLabel('Key (custom_…)').fill('acme')
      expect(await form.getByText('oauth_custom_acme').isVisible()).toBe(true)
      await form.getByLabel('Issuer').fill(`http://127.0.0.1:${await freePort()}`)
      await form.getByLabel('Client ID').fill('latchkey-test')
      await form.getByLabel('Client secret').fill('not the secret')
      await form.getByRole('button', { name: 'Add connection' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toBe(
          'The discovery document could not be read from that address or is not a valid OpenID Connect configuration for it.',
        )
      expect((await bapi('/v1/oauth_connections')).json).toEqual([])
      expect(await offered()).toBeUndefined()
    })

    it('creates the connection for the IdP registered with the shown URI; a person signs in with it', async () => {
      const form = section('Add a social connection')
      const uri = (await form.getByTestId('redirect-uri').textContent()) ?? ''
      // The operator registers the shown URI at the provider and gets a client id and secret.
      idp = await UpstreamIdp.start(uri, { loginForm: true })
      await form.getByLabel('Issuer').fill(idp.issuer)
      await form.getByLabel('Client secret').fill(idp.clientSecret)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await heading('Acme').waitFor()
      connectionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '')
      expect(connectionId).toMatch(/^oac_/)
      const stored = (await bapi(`/v1/oauth_connections/${connectionId}`)).json
      expect(stored).toMatchObject({
        provider: PROVIDER,
        strategy: STRATEGY,
        issuer: idp.issuer,
        client_id: idp.clientId,
        scopes: 'openid email profile',
        enabled: true,
      })
      expect(stored).not.toHaveProperty('client_secret')
      expect(await page.getByTestId('redirect-uri').textContent()).toBe(uri)
      // What Clerk's SDKs read: the environment offers the strategy.
      expect(await offered()).toMatchObject({ enabled: true, name: 'Acme' })

      const email = `ada-${dialect}@example.com`
      const { login, authorize } = await signInWithAcme(email)
      expect(authorize?.searchParams.get('client_id')).toBe(idp.clientId)
      expect(authorize?.searchParams.get('redirect_uri')).toBe(uri)
      const user = (await bapi(`/v1/users/${await userIdByEmail(server, email)}`)).json
      expect(user.external_accounts).toMatchObject([
        { provider: STRATEGY, provider_user_id: login, email_address: email },
      ])
      await axe()
    })

    it('edits the scopes with the secret left empty: kept, and the next sign-in asks the new scopes', async () => {
      const settings = section('Settings')
      expect(await settings.getByLabel('Client secret (leave empty to keep)').inputValue()).toBe('')
      await settings.getByLabel('Scopes').fill('openid email')
      await settings.getByRole('button', { name: 'Save settings' }).click()
      await expect.poll(() => settings.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect((await bapi(`/v1/oauth_connections/${connectionId}`)).json).toMatchObject({
        scopes: 'openid email',
        client_id: idp?.clientId,
      })
      // The list shows it.
      await page.getByRole('link', { name: 'Social sign-in', exact: true }).first().click()
      await heading('Social sign-in').waitFor()
      const row = page.getByRole('row', { name: /Acme/ })
      await expect.poll(() => row.textContent()).toContain('openid email')
      expect(await row.textContent()).toContain('Enabled')
      expect(await row.textContent()).toContain(idp?.clientId)
      await axe()
      await page.setViewportSize({ width: 390, height: 844 })
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })
      if (dialect === DIALECTS[0]) {
        mkdirSync(SCREENSHOTS, { recursive: true })
        await page.screenshot({ path: `${SCREENSHOTS}dashboard-social.png`, fullPage: false })
      }
      // The secret was kept: a sign-in still completes, asking exactly the saved scopes.
      const { authorize } = await signInWithAcme(`grace-${dialect}@example.com`)
      expect(authorize?.searchParams.get('scope')).toBe('openid email')
      await row.getByRole('link', { name: 'Acme' }).click()
      await heading('Acme').waitFor()
    })

    it('disables it after confirming: the environment stops offering it, sign-ins are refused', async () => {
      const status = section('Status')
      await status.getByRole('button', { name: 'Disable' }).click()
      const dialog = page.getByRole('dialog', { name: 'Disable Acme?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await axe()
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect(await offered()).toMatchObject({ enabled: true })

      await status.getByRole('button', { name: 'Disable' }).click()
      await dialog.getByRole('button', { name: 'Disable' }).click()
      await expect.poll(() => status.getByText('Disabled', { exact: true }).isVisible()).toBe(true)
      expect((await bapi(`/v1/oauth_connections/${connectionId}`)).json.enabled).toBe(false)
      expect(await offered()).toBeUndefined()
      const refused = await fapiSignIn()
      expect(refused.status).toBe(422)
      expect(refused.json.errors[0].meta.param_name).toBe('strategy')
      // The hosted page (as the server renders it) offers no button for it.
      const plain = await browser.newContext({ javaScriptEnabled: false })
      const tab = await plain.newPage()
      await tab.goto(`${server.url}/sign-in`)
      expect(await tab.getByRole('button', { name: 'Continue', exact: true }).isVisible()).toBe(
        true,
      )
      expect(await tab.getByRole('button', { name: 'Continue with Acme' }).count()).toBe(0)
      await plain.close()
      // Enabled again (no confirmation needed to turn something on).
      await status.getByRole('button', { name: 'Enable' }).click()
      await expect.poll(() => offered()).toMatchObject({ enabled: true })
      expect((await fapiSignIn()).status).toBe(200)
    })

    it('deletes it after confirming: the API 404s and the list is empty', async () => {
      await page.getByRole('button', { name: 'Delete connection' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete the Acme connection?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('button', { name: 'Delete connection' }).click()
      await heading('Social sign-in').waitFor()
      await expect.poll(() => page.getByText('No social connections yet.').isVisible()).toBe(true)
      expect((await bapi(`/v1/oauth_connections/${connectionId}`)).status).toBe(404)
      expect(await offered()).toBeUndefined()
      expect((await fapiSignIn()).status).toBe(422)
    })
  })
})
