import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../packages/server/test/helpers/browser-client.js'
import { SamlIdp } from '../packages/server/test/helpers/saml-idp.js'
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
 * Issue #20, the dashboard's Enterprise connections pages, in Chromium on both dialects, against
 * real IdPs on loopback: a SAML connection created through the UI from the IdP's metadata URL (an
 * unreachable one first: the API's message, nothing created), whose page shows the ACS URL, SP
 * entity ID and metadata URL the API gives (copied); a person typing an address of its domain on
 * the hosted /sign-in page signs in at the IdP and comes back a user. Its domains edited (a bad
 * one refused, nothing changed), a bad certificate refused, deactivated after confirming (the
 * Frontend API stops sending the domain there), activated, deleted (404). An OpenID Connect
 * connection created for an oidc-provider IdP registered with the redirect URI the form shows,
 * and a sign-in through it. Axe and 390 px on the pages; the list's screenshot.
 */

const OPERATOR = 'enterprise-operator@example.com'
const PASSWORD = 'correct horse battery staple'
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s Enterprise connections pages in Chromium', () => {
  let browser: Browser
  beforeAll(async () => {
    await ensureDashboardBuilt()
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  describe.each(DIALECTS)('%s', (dialect) => {
    const domain = `corp-${dialect}.test`
    const oidcDomain = `oidc-${dialect}.test`
    let server: TestServer
    let saml: SamlIdp
    let oidc: UpstreamIdp | undefined
    let context: BrowserContext
    let page: Page
    let samlId: string
    const axe = async () => expect(await seriousAxeViolations(page)).toEqual([])
    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name })
    const section = (name: string | RegExp) => page.getByRole('region', { name })
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    const narrow = async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })
    }
    const bapi = async (path: string) => {
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
      return { status: res.status, json: await res.json() }
    }
    const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    /** What the Frontend API does with an address of the domain: 200 (to the IdP) or 422. */
    const fapiSso = async (email: string) =>
      (
        await new BrowserClient(server.url, server.url).request('POST', '/v1/client/sign_ins', {
          strategy: 'enterprise_sso',
          identifier: email,
          redirect_url: `${server.url}/user`,
          action_complete_redirect_url: `${server.url}/user`,
        })
      ).status

    /** A person on the hosted sign-in page: the address alone, the IdP's login, back signed in. */
    async function hostedSignIn(email: string, atIdp: (tab: Page) => Promise<void>) {
      const person = await browser.newContext()
      const tab = await person.newPage()
      await tab.goto(
        `${server.url}/sign-in?redirect_url=${encodeURIComponent(`${server.url}/user`)}`,
      )
      await tab.locator('[data-latchkey="sign-in"]').waitFor({ timeout: 30_000 })
      await tab.getByLabel('Email address').fill(email)
      await tab.getByRole('button', { name: 'Continue', exact: true }).click()
      await atIdp(tab)
      await tab.waitForURL((u) => u.href.startsWith(`${server.url}/user`), { timeout: 30_000 })
      await person.close()
      return userIdByEmail(server, email)
    }

    beforeAll(async () => {
      server = await createTestServer(dialect)
      saml = await SamlIdp.start({ loginPage: true })
      const operator = await clerk().users.createUser({
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
      await page.goto(`${server.url}/dashboard/enterprise-connections`)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await heading('Enterprise connections').waitFor()
    }, 60_000)
    afterAll(async () => {
      await context?.close()
      await oidc?.close()
      await saml?.close()
      await server?.close()
    })

    it('lists none yet; the form follows the protocol', async () => {
      const nav = page.getByRole('navigation', { name: 'Dashboard' })
      expect(
        await nav.getByRole('link', { name: 'Enterprise SSO' }).getAttribute('aria-current'),
      ).toBe('page')
      await expect
        .poll(() => page.getByText('No enterprise connections yet.').isVisible())
        .toBe(true)
      const form = section('Add an enterprise connection')
      expect(await form.getByLabel('IdP metadata URL').isVisible()).toBe(true)
      await form.getByLabel('Give it as').selectOption('manual')
      for (const label of [
        'IdP entity ID (issuer)',
        'IdP SSO URL (HTTP-Redirect)',
        'IdP signing certificate (PEM or base64)',
      ])
        expect(await form.getByLabel(label).isVisible()).toBe(true)
      await form.getByLabel('Give it as').selectOption('later')
      expect(await form.getByLabel(/^Active/).isDisabled()).toBe(true)
      await form.getByRole('combobox', { name: /^Identity provider/ }).selectOption('oidc_custom')
      expect(await form.getByLabel('Discovery URL (issuer)').isVisible()).toBe(true)
      await expect
        .poll(() => form.getByRole('definition').first().textContent())
        .toContain(`${server.url}/v1/oauth_callback`)
      await axe()
      await narrow()
      await form.getByRole('combobox', { name: /^Identity provider/ }).selectOption('saml_custom')
      await form.getByLabel('Give it as').selectOption('metadata_url')
    })

    it('refuses an unreadable metadata URL and a bad domain, in the API’s words; nothing is made', async () => {
      const form = section('Add an enterprise connection')
      await form.getByLabel('Name').fill('Corp IdP')
      await form.getByLabel('Email domains').fill(domain)
      await form.getByLabel('IdP metadata URL').fill(`http://127.0.0.1:${await freePort()}/md`)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toMatch(/^The IdP metadata could not be read: /)
      await form.getByLabel('Email domains').fill('not a domain!')
      await form.getByLabel('IdP metadata URL').fill(`${saml.entityId}`)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toBe('domains must be domain names.')
      expect((await bapi('/v1/enterprise_connections')).json).toEqual({ data: [], total_count: 0 })
      expect(await fapiSso(`ada@${domain}`)).toBe(422)
    })

    it('creates it from the IdP’s metadata URL: the values the IdP needs; a person signs in', async () => {
      const form = section('Add an enterprise connection')
      await form.getByLabel('Email domains').fill(domain)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await heading('Corp IdP').waitFor()
      samlId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '')
      expect(samlId).toMatch(/^samlc_/)
      const stored = await clerk().samlConnections.getSamlConnection(samlId)
      expect(stored).toMatchObject({
        name: 'Corp IdP',
        provider: 'saml_custom',
        domain,
        idpEntityId: saml.entityId,
        idpSsoUrl: saml.ssoUrl,
        idpMetadataUrl: saml.entityId,
        active: true,
      })
      const give = section('Give these to the IdP’s administrator')
      for (const [label, value] of [
        ['ACS URL', stored.acsUrl],
        ['SP entity ID', stored.spEntityId],
        ['SP metadata URL', stored.spMetadataUrl],
      ] as const) {
        expect(await give.getByText(value, { exact: true }).isVisible()).toBe(true)
        await give.getByRole('button', { name: `Copy ${label}` }).click()
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value)
      }
      expect(stored.acsUrl).toBe(`${server.url}/v1/saml/acs/${samlId}`)
      // The certificate read from the metadata is kept as PEM, so its dates are known and shown.
      const raw = await (
        await fetch(`${server.url}/v1/saml_connections/${samlId}`, {
          headers: { authorization: `Bearer ${server.secretKey}` },
        })
      ).json()
      expect(raw.idp_certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
      expect(raw.idp_certificate_expires_at).toBeGreaterThan(Date.now())
      await expect
        .poll(() =>
          section('Identity provider')
            .getByText(/^Expires /)
            .count(),
        )
        .toBeGreaterThan(0)
      await expect
        .poll(() => section('Identity provider').getByText(saml.entityId).count())
        .toBeGreaterThan(0)
      await axe()
      await narrow()

      const email = `ada@${domain}`
      const userId = await hostedSignIn(email, async (tab) => {
        await tab.waitForURL((u) => u.href.startsWith(saml.ssoUrl), { timeout: 30_000 })
        await tab.getByLabel('Email').fill(email)
        await tab.getByRole('button', { name: 'Sign in' }).click()
      })
      const user = await clerk().users.getUser(userId)
      expect(user.emailAddresses.map((e) => [e.emailAddress, e.verification?.status])).toEqual([
        [email, 'verified'],
      ])
      expect((await clerk().samlConnections.getSamlConnection(samlId)).userCount).toBe(1)
    })

    it('edits the domains (a bad one refused first, nothing changed) and refuses a bad certificate', async () => {
      const domains = section('Domains')
      await domains.getByLabel('Email domains').fill(`${domain}, bad_domain!`)
      await domains.getByRole('button', { name: 'Save domains' }).click()
      await expect
        .poll(() => domains.getByRole('alert').textContent())
        .toBe('domains must be domain names.')
      expect((await bapi(`/v1/enterprise_connections/${samlId}`)).json.domains).toEqual([domain])

      await domains.getByLabel('Email domains').fill(`${domain}, eu-${domain}`)
      await domains.getByLabel(/^Subdomains too/).check()
      await domains.getByRole('button', { name: 'Save domains' }).click()
      await expect.poll(() => domains.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect((await bapi(`/v1/enterprise_connections/${samlId}`)).json).toMatchObject({
        domains: [domain, `eu-${domain}`],
        allow_subdomains: true,
      })
      expect(await fapiSso(`bob@team.eu-${domain}`)).toBe(200)

      const before = await clerk().samlConnections.getSamlConnection(samlId)
      const idp = section('Identity provider')
      await idp.getByLabel('Give it as').selectOption('manual')
      await idp.getByLabel('IdP entity ID (issuer)').fill(saml.entityId)
      await idp.getByLabel('IdP SSO URL (HTTP-Redirect)').fill(saml.ssoUrl)
      await idp.getByLabel('IdP signing certificate (PEM or base64)').fill('not a certificate')
      await idp.getByRole('button', { name: 'Save identity provider' }).click()
      await expect
        .poll(() => idp.getByRole('alert').textContent())
        .toBe('idp_certificate must be an X.509 certificate (PEM or base64).')
      expect(await clerk().samlConnections.getSamlConnection(samlId)).toEqual(before)
      // The certificate as the IdP hands it out: accepted, and IdP-initiated sign-in turned on.
      await idp.getByLabel('IdP signing certificate (PEM or base64)').fill(saml.cert)
      await idp.getByLabel(/^Allow IdP-initiated sign-in/).check()
      await idp.getByRole('button', { name: 'Save identity provider' }).click()
      await expect.poll(() => idp.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect(await clerk().samlConnections.getSamlConnection(samlId)).toMatchObject({
        allowIdpInitiated: true,
        idpEntityId: saml.entityId,
        active: true,
      })
      await axe()
    })

    it('deactivates it after confirming: its domain no longer goes to the IdP; activates it', async () => {
      const status = section('Status')
      await status.getByRole('button', { name: 'Deactivate' }).click()
      const dialog = page.getByRole('dialog', { name: 'Deactivate Corp IdP?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await axe()
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect((await bapi(`/v1/enterprise_connections/${samlId}`)).json.active).toBe(true)

      await status.getByRole('button', { name: 'Deactivate' }).click()
      await dialog.getByRole('button', { name: 'Deactivate' }).click()
      await expect.poll(() => status.getByText('Inactive', { exact: true }).isVisible()).toBe(true)
      expect((await bapi(`/v1/enterprise_connections/${samlId}`)).json.active).toBe(false)
      expect(await fapiSso(`ada@${domain}`)).toBe(422)
      await status.getByRole('button', { name: 'Activate' }).click()
      await expect.poll(() => status.getByText('Active', { exact: true }).isVisible()).toBe(true)
      expect(await fapiSso(`ada@${domain}`)).toBe(200)
    })

    it('creates an OpenID Connect connection registered with the shown redirect URI; a person signs in', async () => {
      await page.getByRole('link', { name: 'Enterprise connections', exact: true }).click()
      await heading('Enterprise connections').waitFor()
      const form = section('Add an enterprise connection')
      await form.getByRole('combobox', { name: /^Identity provider/ }).selectOption('oidc_custom')
      const uri = `${server.url}/v1/oauth_callback`
      await expect.poll(() => form.getByRole('definition').first().textContent()).toContain(uri)
      await form.getByRole('button', { name: 'Copy Redirect URI' }).click()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(uri)
      oidc = await UpstreamIdp.start(uri, { loginForm: true })
      await form.getByLabel('Name').fill('Acme OIDC')
      // Its domain is another connection's: refused in the API's words.
      await form.getByLabel('Email domains').fill(domain)
      await form.getByLabel('Discovery URL (issuer)').fill(oidc.issuer)
      await form.getByLabel('Client ID').fill(oidc.clientId)
      await form.getByLabel('Client secret').fill(oidc.clientSecret)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toBe(`The domain ${domain} overlaps another connection's domains.`)
      expect((await bapi('/v1/enterprise_connections')).json.total_count).toBe(1)
      await form.getByLabel('Email domains').fill(oidcDomain)
      await form.getByRole('button', { name: 'Add connection' }).click()
      await heading('Acme OIDC').waitFor()
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '')
      expect((await bapi(`/v1/enterprise_connections/${id}`)).json).toMatchObject({
        provider: 'oidc_custom',
        domains: [oidcDomain],
        active: true,
        oauth_config: { client_id: oidc.clientId, scopes: 'openid email profile' },
      })
      expect(
        await section('Give these to the IdP’s administrator').getByText(uri).isVisible(),
      ).toBe(true)
      expect(
        await section('Identity provider')
          .getByLabel('Client secret (leave empty to keep)')
          .inputValue(),
      ).toBe('')
      await axe()
      // The scopes edited with the secret left empty: kept (the sign-in below uses it).
      const idp = section('Identity provider')
      await idp.getByLabel('Scopes').fill('openid email')
      await idp.getByRole('button', { name: 'Save identity provider' }).click()
      await expect.poll(() => idp.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect((await bapi(`/v1/enterprise_connections/${id}`)).json.oauth_config).toMatchObject({
        client_id: oidc.clientId,
        scopes: 'openid email',
      })

      const email = `grace@${oidcDomain}`
      const login = `grace-${dialect}`
      oidc.accounts.set(login, { email, email_verified: true, given_name: 'Grace' })
      const userId = await hostedSignIn(email, async (tab) => {
        await tab.waitForURL((u) => u.href.startsWith(`${oidc?.issuer}/interaction/`))
        await tab.getByLabel('Account').fill(login)
        await tab.getByRole('button', { name: 'Sign in' }).click()
      })
      expect((await clerk().users.getUser(userId)).primaryEmailAddress?.emailAddress).toBe(email)

      // Both are listed.
      await page.getByRole('link', { name: 'Enterprise connections', exact: true }).click()
      await heading('Enterprise connections').waitFor()
      await expect.poll(() => page.getByRole('row').count()).toBe(3)
      expect(await page.getByRole('row', { name: /Acme OIDC/ }).textContent()).toContain(oidcDomain)
      expect(await page.getByRole('row', { name: /Corp IdP/ }).textContent()).toContain('Active')
      await axe()
      await narrow()
      if (dialect === DIALECTS[0]) {
        mkdirSync(SCREENSHOTS, { recursive: true })
        await page.screenshot({ path: `${SCREENSHOTS}dashboard-enterprise.png`, fullPage: false })
      }
    })

    it('deletes the SAML connection after confirming: the API 404s, the domain no longer goes there', async () => {
      await page.getByRole('link', { name: 'Corp IdP' }).click()
      await heading('Corp IdP').waitFor()
      await page.getByRole('button', { name: 'Delete connection' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete Corp IdP?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('button', { name: 'Delete connection' }).click()
      await heading('Enterprise connections').waitFor()
      await expect.poll(() => page.getByRole('row').count()).toBe(2)
      expect((await bapi(`/v1/enterprise_connections/${samlId}`)).status).toBe(404)
      expect((await bapi(`/v1/saml_connections/${samlId}`)).status).toBe(404)
      expect(await fapiSso(`ada@${domain}`)).toBe(422)
    })
  })
})
