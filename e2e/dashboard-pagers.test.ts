import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bapi, makeUser } from '../packages/server/test/helpers/operators.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20: the OAuth applications and JWT templates lists page through more than 100 rows
 * (they used to stop at the first 100), and the Enterprise connections list past 25, with the
 * Backend API's limit, offset and total_count, in Chromium on both dialects: 101 of each (26
 * connections) made through the API, every one reachable.
 */

const OPERATOR = 'pager-operator@example.com'
const PASSWORD = 'correct horse battery staple'
const COUNT = 101
/** The Enterprise connections list shows 25 a page. */
const SSO_COUNT = 26

describe.skipIf(!HAVE_CHROMIUM)(
  'the dashboard’s OAuth applications and JWT templates pagers',
  () => {
    let browser: Browser
    beforeAll(async () => {
      await ensureDashboardBuilt()
      browser = await launchChromium()
    })
    afterAll(() => browser?.close())

    describe.each(DIALECTS)('%s', (dialect) => {
      let server: TestServer
      let context: BrowserContext
      let page: Page
      const heading = (name: string) => page.getByRole('heading', { level: 1, name })

      beforeAll(async () => {
        server = await createTestServer(dialect)
        await makeUser(server, OPERATOR, PASSWORD)
        for (let i = 0; i < COUNT; i++) {
          const app = await bapi(server, 'POST', '/v1/oauth_applications', {
            name: `App ${i}`,
            redirect_uris: ['https://app.example.com/callback'],
            scopes: 'profile email',
          })
          expect(app.status).toBe(200)
          const template = await bapi(server, 'POST', '/v1/jwt_templates', {
            name: `template-${i}`,
            claims: {},
          })
          expect(template.status).toBe(200)
        }
        for (let i = 0; i < SSO_COUNT; i++) {
          const made = await bapi(server, 'POST', '/v1/enterprise_connections', {
            name: `Customer ${i}`,
            provider: 'saml_custom',
            domains: [`customer-${i}.test`],
          })
          expect(made.status).toBe(200)
        }
        context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
        page = await context.newPage()
        await page.goto(`${server.url}/dashboard/oauth-applications`)
        await page.getByLabel('Email address or username').fill(OPERATOR)
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await heading('OAuth applications').waitFor()
      }, 120_000)
      afterAll(async () => {
        await context?.close()
        await server?.close()
      })

      /** The names in the list's first column, page by page through its pager. */
      async function everyName(label: string, total = COUNT, limit = 100): Promise<string[]> {
        const pager = page.getByRole('navigation', { name: `${label} pages` })
        const table = page.getByRole('table', { name: label })
        await expect.poll(() => pager.getByText(`1–${limit} of ${total}`).isVisible()).toBe(true)
        const names = await table.locator('tbody tr td:first-child a').allTextContents()
        expect(names).toHaveLength(limit)
        expect(await pager.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true)
        await pager.getByRole('button', { name: 'Next' }).click()
        await expect
          .poll(() => pager.getByText(`${limit + 1}–${total} of ${total}`).isVisible())
          .toBe(true)
        await expect.poll(() => table.locator('tbody tr').count()).toBe(total - limit)
        names.push(...(await table.locator('tbody tr td:first-child a').allTextContents()))
        expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
        await pager.getByRole('button', { name: 'Previous' }).click()
        await expect.poll(() => pager.getByText(`1–${limit} of ${total}`).isVisible()).toBe(true)
        return names
      }

      const sorted = (names: string[]) => [...names].sort()

      it('OAuth applications: every one of 101, each once', async () => {
        const names = await everyName('OAuth applications')
        expect(sorted(names)).toEqual(sorted(Array.from({ length: COUNT }, (_, i) => `App ${i}`)))
      })

      it('JWT templates: every one of 101, each once', async () => {
        await page.getByRole('link', { name: 'JWT templates' }).click()
        await heading('JWT templates').waitFor()
        const names = await everyName('JWT templates')
        expect(sorted(names)).toEqual(
          sorted(Array.from({ length: COUNT }, (_, i) => `template-${i}`)),
        )
      })

      it('Enterprise connections: every one of 26, each once', async () => {
        await page.getByRole('link', { name: 'Enterprise SSO' }).click()
        await page.getByRole('heading', { level: 1, name: 'Enterprise connections' }).waitFor()
        const names = await everyName('Enterprise connections', SSO_COUNT, 25)
        expect(sorted(names)).toEqual(
          sorted(Array.from({ length: SSO_COUNT }, (_, i) => `Customer ${i}`)),
        )
      })
    })
  },
)
