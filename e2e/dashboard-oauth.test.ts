import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import * as client from 'openid-client'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from '../packages/server/test/helpers/browser-agent.js'
import {
  CALLBACK,
  codeFlow,
  relyingParty,
  type Tokens,
} from '../packages/server/test/helpers/oauth-flow.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { seriousAxeViolations } from './helpers/axe.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20, the dashboard's OAuth applications pages, in Chromium on both dialects: an
 * application created through the UI, its once-shown secret used by openid-client for a real
 * authorization code flow; its settings edited (checked through @clerk/backend, and the consent
 * switch by a flow that skips the consent page); its secret rotated (the old one refused by the
 * token endpoint, the new one accepted); deleted (the API 404s, its tokens stop working). Axe
 * and 390 px on both pages.
 */

const OPERATOR = 'operator@example.com'
const PASSWORD = 'correct horse battery staple'
const ADA = 'ada@example.com'
const GRACE = 'grace@example.com'
const SECOND_URI = 'https://crm.example.com/oauth/callback'
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s OAuth applications in Chromium', () => {
  let browser: Browser
  beforeAll(async () => {
    await ensureDashboardBuilt()
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  describe.each(DIALECTS)('%s', (dialect) => {
    let server: TestServer
    let clerk: ReturnType<typeof createClerkClient>
    let context: BrowserContext
    let page: Page
    let appId: string
    let clientId: string
    let secret: string
    let discoveryUrl: string
    let tokens: Tokens
    const axe = async () => expect(await seriousAxeViolations(page)).toEqual([])
    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name })
    const nav = (name: string) =>
      page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name })
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    const config = (clientSecret: string) => relyingParty(discoveryUrl, clientId, clientSecret)

    beforeAll(async () => {
      server = await createTestServer(dialect)
      clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
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
      await clerk.users.createUser({ emailAddress: [ADA], password: PASSWORD, firstName: 'Ada' })
      await clerk.users.createUser({ emailAddress: [GRACE], password: PASSWORD })
      context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
      page = await context.newPage()
      page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
      await page.goto(`${server.url}/`)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await heading('Overview').waitFor()
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
    })

    it('creates an application; its once-shown secret completes a real code flow', async () => {
      await nav('OAuth apps').click()
      await expect.poll(() => heading('OAuth applications').isVisible()).toBe(true)
      await expect.poll(() => page.getByText('No OAuth applications yet.').isVisible()).toBe(true)
      const form = page.getByRole('region', { name: 'Create OAuth application' })
      await form.getByLabel('Name', { exact: true }).fill('Acme CRM')
      // The server's refusal, in its words.
      await form.getByLabel('Redirect URIs').fill('javascript:alert(1)')
      await form.getByRole('button', { name: 'Create OAuth application' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toBe('redirect_uris: "javascript:alert(1)" uses a forbidden scheme.')
      expect((await clerk.oauthApplications.list()).totalCount).toBe(0)
      await form.getByLabel('Redirect URIs').fill(`${CALLBACK}\n\n  ${SECOND_URI}  \n`)
      await form.getByLabel('openid').check()
      await form.getByLabel('public_metadata').check()
      await form.getByRole('button', { name: 'Create OAuth application' }).click()
      const shown = page.getByTestId('client-secret')
      await expect.poll(() => shown.isVisible()).toBe(true)
      secret = (await shown.textContent()) ?? ''
      expect(secret).toMatch(/^[0-9A-Za-z]{43}$/)
      await form.getByRole('button', { name: 'Copy client secret' }).click()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)

      const { data } = await clerk.oauthApplications.list()
      expect(data).toHaveLength(1)
      const [app] = data
      appId = app?.id as string
      clientId = app?.clientId as string
      expect(app).toMatchObject({
        name: 'Acme CRM',
        redirectUris: [CALLBACK, SECOND_URI],
        scopes: 'profile email public_metadata openid',
        isPublic: false,
        consentScreenEnabled: true,
      })
      // The list shows it; the secret never reaches the list.
      const row = page.getByRole('row', { name: /Acme CRM/ })
      await expect.poll(() => row.textContent()).toContain(clientId)
      expect(await row.textContent()).toContain('Confidential')
      await axe()
      await page.setViewportSize({ width: 390, height: 844 })
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })

      await page.getByRole('link', { name: 'Open Acme CRM' }).click()
      await expect.poll(() => heading('Acme CRM').isVisible()).toBe(true)
      expect(new URL(page.url()).pathname).toBe(`/dashboard/oauth-applications/${appId}`)
      expect(await page.getByTestId('Client ID').textContent()).toBe(clientId)
      discoveryUrl = (await page.getByTestId('Discovery URL').textContent()) ?? ''
      expect(discoveryUrl).toBe(`${server.url}/oauth/.well-known/openid-configuration`)
      expect(await page.getByTestId('Issuer').textContent()).toBe(`${server.url}/oauth`)
      expect(await page.getByTestId('Authorize URL').textContent()).toBe(
        `${server.url}/oauth/authorize`,
      )
      expect(await page.getByTestId('Token URL').textContent()).toBe(`${server.url}/oauth/token`)
      await page.getByRole('button', { name: 'Copy Client ID' }).click()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientId)

      // What a developer does with these values: openid-client, discovered from the page's
      // URL, signs Ada in (consent shown and allowed) and redeems the code with the secret.
      const flow = await codeFlow(await config(secret), new BrowserAgent(server.url), {
        email: ADA,
        password: PASSWORD,
      })
      tokens = flow.tokens
      const info = await fetch(`${server.url}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      })
      expect((await info.json()).email).toBe(ADA)
      expect(tokens.refresh_token).toEqual(expect.any(String))
    })

    it('edits the settings: refusals in the API’s words, the saved values in the API', async () => {
      const settings = page.getByRole('form', { name: 'Settings' })
      await settings.getByLabel('Redirect URIs').fill(`${CALLBACK}\njavascript:void(0)`)
      await settings.getByRole('button', { name: 'Save settings' }).click()
      await expect
        .poll(() => settings.getByRole('alert').textContent())
        .toBe('redirect_uris: "javascript:void(0)" uses a forbidden scheme.')
      expect((await clerk.oauthApplications.get(appId)).redirectUris).toEqual([
        CALLBACK,
        SECOND_URI,
      ])
      await settings.getByLabel('Name', { exact: true }).fill('Acme CRM (production)')
      await settings.getByLabel('Redirect URIs').fill(`${CALLBACK}\nhttps://crm.example.com/v2/cb`)
      await settings.getByLabel('public_metadata').uncheck()
      await settings.getByLabel('offline_access').check()
      await settings.getByLabel(/Ask users to consent/).uncheck()
      await settings.getByLabel('Home page URL (optional)').fill('https://crm.example.com')
      await settings.getByRole('button', { name: 'Save settings' }).click()
      await expect.poll(() => heading('Acme CRM (production)').isVisible()).toBe(true)
      await expect.poll(() => page.getByText(/^Saved/).isVisible()).toBe(true)
      expect(await clerk.oauthApplications.get(appId)).toMatchObject({
        name: 'Acme CRM (production)',
        redirectUris: [CALLBACK, 'https://crm.example.com/v2/cb'],
        scopes: 'profile email openid offline_access',
        consentScreenEnabled: false,
        clientUri: 'https://crm.example.com',
        clientImageUrl: null,
      })
      // A reload shows what was saved.
      await page.reload()
      await expect.poll(() => heading('Acme CRM (production)').isVisible()).toBe(true)
      expect(await settings.getByLabel('Redirect URIs').inputValue()).toBe(
        `${CALLBACK}\nhttps://crm.example.com/v2/cb`,
      )
      expect(await settings.getByLabel(/Ask users to consent/).isChecked()).toBe(false)
      await axe()
      await page.setViewportSize({ width: 390, height: 844 })
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })
      if (dialect === DIALECTS[0]) {
        mkdirSync(SCREENSHOTS, { recursive: true })
        await page.screenshot({ path: `${SCREENSHOTS}dashboard-oauth-app.png`, fullPage: false })
      }
    })

    it('rotates the secret after confirming: the token endpoint refuses the old one', async () => {
      await page.getByRole('button', { name: 'Rotate secret' }).click()
      const dialog = page.getByRole('dialog', { name: /Rotate the secret of/ })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await axe()
      // Cancel changes nothing: the old secret still works.
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      const old = await config(secret)
      const refreshed = await client.refreshTokenGrant(old, tokens.refresh_token as string)

      await page.getByRole('button', { name: 'Rotate secret' }).click()
      await dialog.getByRole('button', { name: 'Rotate secret' }).click()
      const shown = page.getByTestId('client-secret')
      await expect.poll(() => shown.isVisible()).toBe(true)
      const rotated = (await shown.textContent()) ?? ''
      expect(rotated).toMatch(/^[0-9A-Za-z]{43}$/)
      expect(rotated).not.toBe(secret)

      await expect(
        client.refreshTokenGrant(old, refreshed.refresh_token as string),
      ).rejects.toMatchObject({ error: 'invalid_client' })
      const fresh = await config(rotated)
      const again = await client.refreshTokenGrant(fresh, refreshed.refresh_token as string)
      expect(again.access_token).toEqual(expect.any(String))

      // Consent is off now: Grace, who never consented, signs in and goes straight back to the
      // app, and the new secret redeems the code.
      const verifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const url = client.buildAuthorizationUrl(fresh, {
        redirect_uri: CALLBACK,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      })
      const agent = new BrowserAgent(server.url)
      const signIn = await agent.goto(url.href)
      expect(new URL(signIn.url).pathname).toBe('/sign-in')
      const back = await agent.fill(signIn, { identifier: GRACE, password: PASSWORD })
      expect(back.url.startsWith(`${CALLBACK}?`)).toBe(true)
      const second = await client.authorizationCodeGrant(fresh, new URL(back.url), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      })
      expect(second.claims()?.sub).toEqual(expect.any(String))
      secret = rotated
      tokens = second
    })

    it('deletes the application after confirming: the API 404s, its tokens stop working', async () => {
      await page.getByRole('button', { name: 'Delete application' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete Acme CRM (production)?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await page.keyboard.press('Escape')
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect((await clerk.oauthApplications.get(appId)).id).toBe(appId)
      await page.getByRole('button', { name: 'Delete application' }).click()
      await dialog.getByRole('button', { name: 'Delete application' }).click()
      await expect.poll(() => heading('OAuth applications').isVisible()).toBe(true)
      await expect.poll(() => page.getByText('No OAuth applications yet.').isVisible()).toBe(true)
      await expect(clerk.oauthApplications.get(appId)).rejects.toMatchObject({ status: 404 })
      const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      })
      expect(userinfo.status).toBe(401)
      // Its page now says so, in the API's words.
      await page.goto(`${server.url}/dashboard/oauth-applications/${appId}`)
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe(`No OAuth application was found with id ${appId}.`)
      await axe()
    })
  })
})
