import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import { decodeJwt } from 'jose'
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
import { firstLoadBytes } from './helpers/first-load.js'

/*
 * Issue #20, the operator dashboard, each page's main task in Chromium on both dialects, with
 * its effect checked through @clerk/backend (not the screen): sign-in (and its refusal),
 * overview values, users search / ban / metadata / sessions / create / delete, secret keys
 * issued and revoked, the session token's claims and a JWT template edited against their live
 * preview, the audit log; axe-core on every page; the first load's bytes; 390 px.
 */

const OPERATOR = 'operator@example.com'
const PASSWORD = 'correct horse battery staple'
const ADA = 'ada@example.com'
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

describe.skipIf(!HAVE_CHROMIUM)('the dashboard in Chromium', () => {
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
    let adaId: string
    let adaSession: string
    const shoot = async (name: string) => {
      if (dialect !== DIALECTS[0]) return
      mkdirSync(SCREENSHOTS, { recursive: true })
      await page.screenshot({ path: `${SCREENSHOTS}dashboard-${name}.png`, fullPage: false })
    }
    const axe = async () => expect(await seriousAxeViolations(page)).toEqual([])
    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name })
    const nav = (name: string) =>
      page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name })

    beforeAll(async () => {
      server = await createTestServer(dialect)
      clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      const operator = await clerk.users.createUser({
        emailAddress: [OPERATOR],
        password: PASSWORD,
        firstName: 'Olive',
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
        password: PASSWORD,
        firstName: 'Ada',
        lastName: 'Lovelace',
      })
      adaId = ada.id
      adaSession = (await clerk.sessions.createSession({ userId: adaId })).id
      await clerk.users.createUser({
        emailAddress: ['bob@example.com'],
        firstName: 'Bob',
        skipPasswordRequirement: true,
      })
      context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
      page = await context.newPage()
      // A script error leaves a blank page: say what it was.
      page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
    })

    it('loads in under 200 KB (gzip), refuses a wrong password with the API’s message', async () => {
      const bytes = await firstLoadBytes(page, `${server.url}/`)
      console.info(
        `dashboard first load (${dialect}): ${bytes.files.length} files, ` +
          `${(bytes.total / 1024).toFixed(1)} KB gzip (${bytes.files.map((f) => `${f.path} ${f.gzip} B`).join(', ')})`,
      )
      expect(bytes.files.some((f) => f.path.endsWith('.js'))).toBe(true)
      expect(bytes.total).toBeLessThan(200 * 1024)
      // The real build, as the server sends it: the app's paths are index.html, never cached
      // without asking, under a CSP that admits no inline script; hashed assets are immutable.
      const doc = await fetch(`${server.url}/dashboard/users/user_x`)
      expect(doc.status).toBe(200)
      expect(doc.headers.get('cache-control')).toBe('no-cache')
      expect(doc.headers.get('content-security-policy')).toMatch(
        /script-src 'self';.*frame-ancestors 'none'/,
      )
      expect(doc.headers.get('x-frame-options')).toBe('DENY')
      const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(await doc.text())?.[1]
      const asset = await fetch(`${server.url}${script}`)
      expect([asset.status, asset.headers.get('cache-control')]).toEqual([
        200,
        'public, max-age=31536000, immutable',
      ])
      expect(new URL(page.url()).pathname).toBe('/dashboard/')
      await expect.poll(() => heading('Sign in to the dashboard').isVisible()).toBe(true)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill('not the password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toMatch(/invalid identifier or password/i)
      await axe()
    })

    it('signs in and shows the values an app needs, the counts and the chart', async () => {
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expect.poll(() => heading('Overview').isVisible()).toBe(true)
      const value = (label: string) => page.getByTestId(label).textContent()
      await expect.poll(() => value('Frontend API URL')).toBe(server.url)
      expect(await value('Publishable key')).toBe(server.publishableKey)
      expect(await value('JWKS URL')).toBe(`${server.url}/.well-known/jwks.json`)
      expect(await value('Discovery URL')).toBe(`${server.url}/.well-known/openid-configuration`)
      await expect.poll(() => page.getByTestId('users-count').textContent()).toBe('3')
      // Ada's session and the operator's own Backend API credential is not a session.
      expect(Number(await page.getByTestId('sessions-count').textContent())).toBe(1)
      await expect
        .poll(() => page.locator('figcaption').textContent())
        .toMatch(/3 sign-ups, 1 sign-ins/)
      expect(await page.getByRole('note').textContent()).toMatch(/no second factor/i)
      await page.getByRole('button', { name: 'Copy Publishable key' }).click()
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toBe(server.publishableKey)
      // The credential is this tab's: in sessionStorage, not in a cookie.
      expect(await context.cookies(server.url)).toEqual([])
      expect(await page.evaluate(() => sessionStorage.getItem('latchkey.operator_token'))).toMatch(
        /^lk_op_/,
      )
      // Opened afresh (the credential is still in this tab), nothing moves as the values arrive.
      await page.reload()
      await expect.poll(() => value('Publishable key')).toBe(server.publishableKey)
      await expect.poll(() => page.getByTestId('users-count').textContent()).toBe('3')
      expect(await layoutShift(page)).toBeLessThan(0.05)
      await axe()
      await shoot('overview')
    })

    it('finds a user by email and opens their page', async () => {
      await nav('Users').click()
      await expect.poll(() => heading('Users').isVisible()).toBe(true)
      await expect.poll(() => page.getByRole('link', { name: ADA }).isVisible()).toBe(true)
      await expect.poll(() => page.getByText('1–3 of 3').isVisible()).toBe(true)
      await axe()
      await shoot('users')
      await page.getByLabel('Search users').fill(ADA)
      await page.getByLabel('Search users').press('Enter')
      await expect.poll(() => page.getByText('1–1 of 1').isVisible()).toBe(true)
      expect(await page.getByRole('link', { name: 'bob@example.com' }).count()).toBe(0)
      await page.getByRole('link', { name: ADA }).click()
      await expect.poll(() => heading(ADA).isVisible()).toBe(true)
      await expect.poll(() => page.getByText(adaSession).isVisible()).toBe(true)
      await axe()
      await shoot('user')
    })

    it('edits public metadata, refusing JSON that is not an object', async () => {
      const editor = page.getByLabel('Public metadata')
      await editor.fill('{"plan": ')
      await page.getByRole('button', { name: 'Save public metadata' }).click()
      await expect.poll(() => page.getByText(/Not valid JSON/).isVisible()).toBe(true)
      await editor.fill('["pro"]')
      await page.getByRole('button', { name: 'Save public metadata' }).click()
      await expect.poll(() => page.getByText(/must be a JSON object/).isVisible()).toBe(true)
      expect((await clerk.users.getUser(adaId)).publicMetadata).toEqual({})
      await editor.fill('{"plan": "pro", "seats": 3}')
      await page.getByRole('button', { name: 'Save public metadata' }).click()
      await expect
        .poll(async () => (await clerk.users.getUser(adaId)).publicMetadata)
        .toEqual({ plan: 'pro', seats: 3 })
      await expect.poll(() => page.getByText('Saved').isVisible()).toBe(true)
    })

    it('revokes a session after confirming', async () => {
      await page.getByRole('button', { name: `Revoke session ${adaSession}` }).click()
      const dialog = page.getByRole('dialog', { name: 'Revoke this session?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await axe()
      await dialog.getByRole('button', { name: 'Revoke session' }).click()
      await expect.poll(() => page.getByText('No active sessions.').isVisible()).toBe(true)
      expect((await clerk.sessions.getSession(adaSession)).status).toBe('revoked')
    })

    it('bans and unbans, locks and unlocks', async () => {
      await page.getByRole('button', { name: 'Ban', exact: true }).click()
      const dialog = page.getByRole('dialog', { name: `Ban ${ADA}?` })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      // Escape cancels: nothing happens.
      await page.keyboard.press('Escape')
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect((await clerk.users.getUser(adaId)).banned).toBe(false)
      await page.getByRole('button', { name: 'Ban', exact: true }).click()
      await dialog.getByRole('button', { name: 'Ban user' }).click()
      await expect.poll(() => page.getByText('Banned', { exact: true }).isVisible()).toBe(true)
      expect((await clerk.users.getUser(adaId)).banned).toBe(true)
      await page.getByRole('button', { name: 'Unban' }).click()
      await expect.poll(async () => (await clerk.users.getUser(adaId)).banned).toBe(false)
      await page.getByRole('button', { name: 'Lock', exact: true }).click()
      await expect.poll(async () => (await clerk.users.getUser(adaId)).locked).toBe(true)
      await page.getByRole('button', { name: 'Unlock' }).click()
      await expect.poll(async () => (await clerk.users.getUser(adaId)).locked).toBe(false)
    })

    it('creates a user, then deletes them after confirming', async () => {
      await nav('Users').click()
      const form = page.getByRole('region', { name: 'Create user' })
      await form.getByLabel('Email address').fill('grace@example.com')
      await form.getByLabel('First name').fill('Grace')
      await form.getByLabel('Last name').fill('Hopper')
      await form.getByRole('button', { name: 'Create user' }).click()
      await expect.poll(() => heading('grace@example.com').isVisible()).toBe(true)
      const [grace] = (await clerk.users.getUserList({ emailAddress: ['grace@example.com'] })).data
      expect(grace).toMatchObject({ firstName: 'Grace', lastName: 'Hopper' })
      await page.getByRole('button', { name: 'Delete user' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete grace@example.com?' })
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect((await clerk.users.getUser(grace?.id as string)).id).toBe(grace?.id)
      await page.getByRole('button', { name: 'Delete user' }).click()
      await dialog.getByRole('button', { name: 'Delete user' }).click()
      await expect.poll(() => heading('Users').isVisible()).toBe(true)
      await expect(clerk.users.getUser(grace?.id as string)).rejects.toMatchObject({ status: 404 })
    })

    it('issues a labelled secret key (shown once) that works until revoked', async () => {
      await nav('API keys').click()
      await expect.poll(() => heading('API keys').isVisible()).toBe(true)
      await page.getByLabel('Label').fill('ci server')
      await page.getByRole('button', { name: 'Issue secret key' }).click()
      const secret =
        (await page.getByTestId('issued-secret').textContent({ timeout: 10_000 })) ?? ''
      expect(secret).toMatch(/^sk_/)
      const withKey = createClerkClient({ secretKey: secret, apiUrl: server.url })
      expect(await withKey.users.getCount()).toBe(3)
      await page.getByRole('button', { name: 'Done' }).click()
      expect(await page.getByTestId('issued-secret').count()).toBe(0)
      await axe()
      await page.getByRole('button', { name: 'Revoke key ci server' }).click()
      const dialog = page.getByRole('dialog', { name: 'Revoke ci server?' })
      await dialog.getByRole('button', { name: 'Revoke key' }).click()
      await expect
        .poll(() => page.getByRole('button', { name: 'Revoke key ci server' }).count())
        .toBe(0)
      await expect
        .poll(() =>
          withKey.users.getCount().then(
            () => 'accepted',
            (e: { status?: number }) => e.status,
          ),
        )
        .toBe(401)
    })

    /** The payload the preview shows, parsed. */
    // Polled: an answer not shown yet is null, not a wait of Playwright's own 30 s on the element.
    // Each read is bounded: the panel can turn from the payload to a problem between a count and a
    // read, and an unbounded read would wait for an element that is gone.
    const previewed = async () => {
      const shown = page.getByTestId('token-preview')
      if (!(await shown.count())) return null
      const text = await shown.textContent({ timeout: 500 }).catch(() => null)
      return JSON.parse(text ?? 'null') as Record<string, unknown> | null
    }
    const previewOr = async () =>
      (await page.getByTestId('token-preview').count())
        ? await previewed().catch(() => null)
        : await page
            .getByTestId('preview-problem')
            .textContent({ timeout: 500 })
            .catch(() => null)

    it('customizes the session token with a live preview of a chosen user’s token', async () => {
      await nav('Session token').click()
      await expect.poll(() => heading('Session token').isVisible()).toBe(true)
      await page.getByLabel('Find a user').fill('ada@')
      await expect
        .poll(() =>
          page
            .getByLabel('Preview for')
            .locator('option:checked')
            .textContent({ timeout: 500 })
            .catch(() => null),
        )
        .toBe(ADA)
      // Ada's only session was revoked above: a stand-in renders her claims, and says so.
      await expect.poll(async () => (await previewed())?.sub).toBe(adaId)
      expect(await page.getByText('a stand-in session was used').isVisible()).toBe(true)
      const claims = page.getByRole('textbox', { name: 'Claims' })
      await claims.fill('{"plan": "{{user.public_metadata.plan}}", "who": "{{user.first_name}}"}')
      await expect
        .poll(async () => {
          const p = await previewed()
          return p && [p.plan, p.who, p.v]
        })
        .toEqual(['pro', 'Ada', 2])
      // What a save would refuse, the preview refuses with the server's words; nothing is saved.
      await claims.fill('{"sub": "someone else"}')
      await expect.poll(previewOr).toMatch(/sub are reserved/)
      await claims.fill('{"plan": ')
      await expect.poll(previewOr).toMatch(/Not valid JSON/)
      const settings = () =>
        fetch(`${server.url}/v1/instance/session_token`, {
          headers: { authorization: `Bearer ${server.secretKey}` },
        }).then((r) => r.json() as Promise<{ claims: Record<string, unknown> }>)
      expect((await settings()).claims).toEqual({})
      await axe()
      await claims.fill('{"plan": "{{user.public_metadata.plan}}"}')
      await expect.poll(async () => (await previewed())?.plan).toBe('pro')
      await shoot('session-token')
      await page.getByRole('button', { name: 'Save claims' }).click()
      await expect
        .poll(async () => (await settings()).claims)
        .toEqual({
          plan: '{{user.public_metadata.plan}}',
        })
      // The token Ada now gets carries what the preview showed.
      const session = await clerk.sessions.createSession({ userId: adaId })
      const { jwt } = await clerk.sessions.getToken(session.id)
      expect(decodeJwt(jwt)).toMatchObject({ plan: 'pro', sub: adaId, sid: session.id })
      await clerk.sessions.revokeSession(session.id)
    })

    it('creates a template from the Convex preset, edits it against its preview, deletes it', async () => {
      await nav('JWT templates').click()
      await expect.poll(() => heading('JWT templates').isVisible()).toBe(true)
      await expect.poll(() => page.getByText('No templates yet.').isVisible()).toBe(true)
      await page.getByRole('button', { name: 'From the convex preset' }).click()
      await expect.poll(() => heading('Template convex').isVisible()).toBe(true)
      const [made] = (await clerk.jwtTemplates.list()).data
      expect(made?.name).toBe('convex')
      await page.getByLabel('Find a user').fill('ada@')
      await expect
        .poll(async () => {
          const p = await previewed()
          return p && [p.aud, p.email, p.given_name, p.sub]
        })
        .toEqual(['convex', ADA, 'Ada', adaId])
      await page.getByLabel('Lifetime (seconds)').fill('300')
      await expect
        .poll(async () => {
          const p = await previewed()
          return p && Number(p.exp) - Number(p.iat)
        })
        .toBe(300)
      await axe()
      await shoot('jwt-template')
      // A bad lifetime is refused with the API's message and changes nothing.
      await page.getByLabel('Lifetime (seconds)').fill('86401')
      await page.getByLabel('Lifetime (seconds)').evaluate((e: HTMLInputElement) => {
        e.removeAttribute('max')
      })
      await page.getByRole('button', { name: 'Save template' }).click()
      await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/86400/)
      expect((await clerk.jwtTemplates.get(made?.id as string)).lifetime).toBe(60)
      await page.getByLabel('Lifetime (seconds)').fill('300')
      await page.getByRole('button', { name: 'Save template' }).click()
      await expect
        .poll(async () => (await clerk.jwtTemplates.get(made?.id as string)).lifetime)
        .toBe(300)
      await expect.poll(() => page.getByText(/^Saved/).isVisible()).toBe(true)
      const session = await clerk.sessions.createSession({ userId: adaId })
      const token = decodeJwt((await clerk.sessions.getToken(session.id, 'convex')).jwt)
      expect(token).toMatchObject({ aud: 'convex', email: ADA, sub: adaId })
      expect(Number(token.exp) - Number(token.iat)).toBe(300)
      await clerk.sessions.revokeSession(session.id)
      await page.getByRole('button', { name: 'Delete template' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete template convex?' })
      await dialog.getByRole('button', { name: 'Delete template' }).click()
      await expect.poll(() => heading('JWT templates').isVisible()).toBe(true)
      await expect.poll(async () => (await clerk.jwtTemplates.list()).totalCount).toBe(0)
    })

    it('lists what the operator did in the audit log', async () => {
      await nav('Audit log').click()
      await expect.poll(() => heading('Audit log').isVisible()).toBe(true)
      for (const action of [
        'operator.sign_in',
        'POST /v1/users/:user_id/ban',
        'PATCH /v1/users/:user_id',
        'POST /v1/sessions/:session_id/revoke',
        'DELETE /v1/users/:user_id',
        'POST /v1/secret_keys',
        'PATCH /v1/instance/session_token',
        'POST /v1/jwt_templates/presets/:preset',
        'DELETE /v1/jwt_templates/:template_id',
      ])
        await expect
          .poll(() => page.getByText(action, { exact: true }).first().isVisible())
          .toBe(true)
      const events = await fetch(`${server.url}/v1/audit_events?limit=100`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      }).then((r) => r.json() as Promise<{ action: string; target_id: string | null }[]>)
      expect(events).toContainEqual(
        expect.objectContaining({ action: 'POST /v1/users/:user_id/ban', target_id: adaId }),
      )
      await axe()
    })

    it('is usable at 390 px wide: no sideways scrolling, search and open a user', async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      await nav('Users').click()
      await page.getByLabel('Search users').fill('ada')
      await page.getByRole('button', { name: 'Search' }).click()
      await expect.poll(() => page.getByText('1–1 of 1').isVisible()).toBe(true)
      const overflow = () =>
        page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(await overflow()).toBeLessThanOrEqual(0)
      await axe()
      await page.getByRole('link', { name: ADA }).click()
      await expect.poll(() => heading(ADA).isVisible()).toBe(true)
      expect(await overflow()).toBeLessThanOrEqual(0)
      // The editor and its preview stack in one column.
      await nav('Session token').click()
      await expect.poll(async () => (await previewed())?.sub).toEqual(expect.any(String))
      expect(await overflow()).toBeLessThanOrEqual(0)
      await page.setViewportSize({ width: 1280, height: 860 })
    })

    it('pages through a search, counting its matches once and not per page', async () => {
      for (let i = 0; i < 22; i++) {
        await clerk.users.createUser({
          emailAddress: [`pager-${String(i).padStart(2, '0')}-${dialect}@example.com`],
          skipPasswordRequirement: true,
        } as never)
      }
      const asked: string[] = []
      const onRequest = (r: { url(): string }) => {
        const u = new URL(r.url())
        if (u.pathname.startsWith('/v1/users')) asked.push(u.pathname + u.search)
      }
      page.on('request', onRequest)
      try {
        await nav('Users').click()
        await page.getByLabel('Search users').fill('pager-')
        await page.getByLabel('Search users').press('Enter')
        await expect.poll(() => page.getByText('1–20 of 22').isVisible()).toBe(true)
        const pager = page.getByRole('navigation', { name: 'Users pages' })
        await pager.getByRole('button', { name: 'Next' }).click()
        await expect.poll(() => page.getByText('21–22 of 22').isVisible()).toBe(true)
        // Newest first: the second page holds the two made first.
        for (const n of ['00', '01'])
          expect(
            await page.getByRole('link', { name: `pager-${n}-${dialect}@example.com` }).count(),
          ).toBe(1)
        expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
        await pager.getByRole('button', { name: 'Previous' }).click()
        await expect.poll(() => page.getByText('1–20 of 22').isVisible()).toBe(true)
      } finally {
        page.off('request', onRequest)
      }
      const searched = asked.filter((a) => a.includes('query=pager-'))
      expect(searched.filter((a) => a.startsWith('/v1/users/count'))).toHaveLength(1)
      expect(searched.filter((a) => a.startsWith('/v1/users?')).length).toBeGreaterThanOrEqual(3)
      expect(asked.some((a) => a.includes('paginated=true'))).toBe(false)
      expect(await clerk.users.getCount({ query: 'pager-' })).toBe(22)
    })

    it('signs out: the credential stops working', async () => {
      const token = await page.evaluate(() => sessionStorage.getItem('latchkey.operator_token'))
      await page.getByRole('button', { name: 'Sign out' }).click()
      await expect.poll(() => heading('Sign in to the dashboard').isVisible()).toBe(true)
      expect(await page.evaluate(() => sessionStorage.getItem('latchkey.operator_token'))).toBe(
        null,
      )
      const r = await fetch(`${server.url}/v1/operator_sessions/current`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(r.status).toBe(401)
    })
  })
})

/** The page's cumulative layout shift so far (shifts right after input do not count). */
function layoutShift(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let sum = 0
        new PerformanceObserver((list) => {
          for (const e of list.getEntries() as (PerformanceEntry & {
            value: number
            hadRecentInput: boolean
          })[])
            if (!e.hadRecentInput) sum += e.value
        }).observe({ type: 'layout-shift', buffered: true })
        setTimeout(() => resolve(sum), 300)
      }),
  )
}
