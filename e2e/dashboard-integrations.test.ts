import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { seriousAxeViolations } from './helpers/axe.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20, the dashboard's Integrations page in Chromium on both dialects: the values each
 * guide asks for, prefilled; the setup the page offers (the convex template, InstantDB's
 * session-token claims) checked through the Backend API; and a check that really verifies a
 * user's token against the discovery document's keys — shown to fail when the token could not
 * be verified by the service (a template signed with its own key, a user with no session).
 */

const OPERATOR = 'integrator@example.com'
const PASSWORD = 'correct horse battery staple'
const ADA = 'ada@example.com'

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s Integrations page in Chromium', () => {
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
    const section = (name: string) => page.getByRole('region', { name })
    const check = async (name: string) => {
      await section(name === 'JWKS' ? 'Any JWKS or OpenID Connect verifier' : name)
        .getByRole('button', { name: `Check the ${name} setup` })
        .click()
      await expect
        .poll(() =>
          page.getByText(new RegExp(`^${name}: (every check passed|a check failed)\\.$`)).count(),
        )
        .toBe(1)
      return (await page.getByText(`${name}: every check passed.`).count()) === 1
    }

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
      const ada = await clerk.users.createUser({
        emailAddress: [ADA],
        firstName: 'Ada',
        skipPasswordRequirement: true,
      })
      await clerk.sessions.createSession({ userId: ada.id })
      await clerk.users.createUser({
        emailAddress: ['nosession@example.com'],
        skipPasswordRequirement: true,
      })
      context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
      page = await context.newPage()
      page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
      await page.goto(`${server.url}/dashboard/integrations`)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor()
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
    })

    it('Convex: the values, the template it needs created here, and a token that verifies with aud=convex', async () => {
      await page.getByLabel('Find a user').fill(ADA)
      await expect
        .poll(() => page.getByLabel('Check with').locator('option:checked').textContent())
        .toBe(ADA)
      const convex = section('Convex')
      await expect.poll(() => convex.getByText(`domain: '${server.url}'`).isVisible()).toBe(true)
      await convex.getByRole('button', { name: 'Copy Convex domain' }).click()
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(server.url)
      // Without the template there is nothing to check.
      expect(
        await convex.getByRole('button', { name: 'Check the Convex setup' }).isDisabled(),
      ).toBe(true)
      await convex.getByRole('button', { name: 'Create the convex template' }).click()
      await expect
        .poll(async () => (await clerk.jwtTemplates.list()).data.map((t) => t.name))
        .toEqual(['convex'])
      await expect
        .poll(() => convex.getByText('The convex JWT template exists').isVisible())
        .toBe(true)
      expect(await check('Convex')).toBe(true)
      await expect.poll(() => convex.getByText(/aud convex/).isVisible()).toBe(true)
      expect(await seriousAxeViolations(page)).toEqual([])
    })

    it('the check fails for real: a template signed with its own key does not verify against the JWKS', async () => {
      const [template] = (await clerk.jwtTemplates.list()).data
      const patch = (body: object) =>
        fetch(`${server.url}/v1/jwt_templates/${template?.id}`, {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${server.secretKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(body),
        })
      expect(
        (
          await patch({
            custom_signing_key: true,
            signing_algorithm: 'HS256',
            signing_key: 'a shared secret that is long enough 0123456789',
          })
        ).status,
      ).toBe(200)
      expect(await check('Convex')).toBe(false)
      await expect
        .poll(() =>
          section('Convex')
            .getByRole('listitem')
            .filter({ hasText: 'The token verifies' })
            .textContent(),
        )
        .toMatch(/failed/)
      expect((await patch({ custom_signing_key: false })).status).toBe(200)
      expect(await check('Convex')).toBe(true)
    })

    it('InstantDB: adds email and email_verified to the session token, then its token verifies with them', async () => {
      const instant = section('InstantDB')
      expect(await instant.getByText(server.publishableKey).isVisible()).toBe(true)
      await instant.getByRole('button', { name: 'Add them to the session token' }).click()
      await expect
        .poll(
          async () =>
            (
              await fetch(`${server.url}/v1/instance/session_token`, {
                headers: { authorization: `Bearer ${server.secretKey}` },
              }).then((r) => r.json())
            ).claims,
        )
        .toEqual({
          email: '{{user.primary_email_address}}',
          email_verified: '{{user.email_verified}}',
        })
      await expect
        .poll(() => instant.getByText('Session tokens carry email and email_verified.').isVisible())
        .toBe(true)
      expect(await check('InstantDB')).toBe(true)
      await expect.poll(() => instant.getByText(`"${ADA}"`).isVisible()).toBe(true)
      if (dialect === DIALECTS[0]) {
        await section('Convex').scrollIntoViewIfNeeded()
        await page.screenshot({
          path: fileURLToPath(
            new URL('../docs/screenshots/dashboard-integrations.png', import.meta.url),
          ),
        })
      }
    })

    it('Nylas Connect and any JWKS verifier: their values and checks; a user who is signed in nowhere fails the check', async () => {
      expect(
        await section('Nylas Connect').getByText(`${server.url}/.well-known/jwks.json`).isVisible(),
      ).toBe(true)
      expect(await check('Nylas Connect')).toBe(true)
      expect(await check('JWKS')).toBe(true)
      await page.getByLabel('Find a user').fill('nosession@')
      await expect
        .poll(() => page.getByLabel('Check with').locator('option:checked').textContent())
        .toBe('nosession@example.com')
      expect(await check('JWKS')).toBe(false)
      await expect
        .poll(() =>
          section('Any JWKS or OpenID Connect verifier')
            .getByText(/not signed in anywhere/)
            .isVisible(),
        )
        .toBe(true)
      expect(await seriousAxeViolations(page)).toEqual([])
    })

    it('is usable at 390 px wide', async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      await page.reload()
      await page.getByRole('heading', { level: 2, name: 'Convex' }).waitFor()
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      )
      expect(overflow).toBeLessThanOrEqual(0)
      expect(await seriousAxeViolations(page)).toEqual([])
    })
  })
})
