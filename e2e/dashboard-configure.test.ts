import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from '../packages/server/test/helpers/browser-client.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { seriousAxeViolations } from './helpers/axe.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20, the dashboard's Configure page in Chromium on both dialects: each section saved
 * through the Backend API with its own checks, and its effect shown where an app meets it (the
 * Frontend API a browser calls, the hosted pages), not on the screen. A refused save shows the
 * API's message and changes nothing.
 */

const OPERATOR = 'configurer@example.com'
const PASSWORD = 'correct horse battery staple'
const FIXED = 'https://fixed.example.com'
const APP = 'https://app.example.com'

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s Configure page in Chromium', () => {
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
    const bapi = async (path: string) =>
      (
        await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${server.secretKey}` },
        })
      ).json()
    const section = (name: string) => page.getByRole('region', { name })
    const saved = (name: string) => section(name).getByText('Saved', { exact: true })

    beforeAll(async () => {
      server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: FIXED } })
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
      page = await context.newPage()
      page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
      await page.goto(`${server.url}/dashboard/configure`)
      await page.getByLabel('Email address or username').fill(OPERATOR)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { level: 1, name: 'Configure' }).waitFor()
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
    })

    it('names the application: the prebuilt UI’s environment carries the new name', async () => {
      await expect
        .poll(() => section('Application').getByLabel('Application name').inputValue())
        .toBe('Latchkey')
      await section('Application').getByLabel('Application name').fill('Acme Notes')
      await section('Application').getByRole('button', { name: 'Save application' }).click()
      await expect.poll(() => saved('Application').isVisible()).toBe(true)
      expect((await bapi('/v1/instance')).application_name).toBe('Acme Notes')
      const env = await (await fetch(`${server.url}/v1/environment`)).json()
      expect(env.display_config.application_name).toBe('Acme Notes')
      expect(await seriousAxeViolations(page)).toEqual([])
    })

    it('allows an app’s origin (the environment’s stays, shown apart); a browser there is then let in', async () => {
      const origins = section('Allowed origins')
      await expect.poll(() => origins.getByText(FIXED).isVisible()).toBe(true)
      expect(await origins.getByLabel('Origins, one per line').inputValue()).toBe('')
      const fromApp = () =>
        fetch(`${server.url}/v1/client/sign_ins`, {
          method: 'POST',
          headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'identifier=nobody%40example.com&strategy=email_code',
        }).then((r) => r.status)
      expect(await fromApp()).toBe(403)
      await origins.getByLabel('Origins, one per line').fill(`${APP}/some/path\nnot an origin`)
      await origins.getByRole('button', { name: 'Save origins' }).click()
      await expect.poll(() => origins.getByRole('alert').textContent()).toMatch(/not an origin/)
      expect((await bapi('/v1/instance')).allowed_origins).toEqual([FIXED])
      await origins.getByLabel('Origins, one per line').fill(`${APP}/some/path`)
      await origins.getByRole('button', { name: 'Save origins' }).click()
      await expect.poll(() => saved('Allowed origins').isVisible()).toBe(true)
      // Saved as an origin, and the environment's one is still apart from it.
      expect(await origins.getByLabel('Origins, one per line').inputValue()).toBe(APP)
      const instance = await bapi('/v1/instance')
      expect(instance.allowed_origins.sort()).toEqual([APP, FIXED].sort())
      expect(instance.configured_allowed_origins).toEqual([FIXED])
      expect(await fromApp()).not.toBe(403)
    })

    it('sets the after-sign-in path, refusing one on an origin that is not allowed', async () => {
      const paths = section('Paths')
      await paths.getByLabel('After sign-in URL').fill('https://evil.example.net/welcome')
      await paths.getByRole('button', { name: 'Save paths' }).click()
      await expect
        .poll(() => paths.getByRole('alert').textContent())
        .toMatch(/after_sign_in_url must be on this server's origin or an allowed origin/)
      // Unchanged: still the default (the server's root).
      expect((await bapi('/v1/instance/paths')).after_sign_in_url).toBe(server.url)
      await paths.getByLabel('After sign-in URL').fill(`${APP}/welcome`)
      await paths.getByRole('button', { name: 'Save paths' }).click()
      await expect.poll(() => saved('Paths').isVisible()).toBe(true)
      expect((await bapi('/v1/instance/paths')).after_sign_in_url).toBe(`${APP}/welcome`)
      // What the SDKs read: the environment's display config.
      const env = await (await fetch(`${server.url}/v1/environment`)).json()
      expect(env.display_config.after_sign_in_url).toBe(`${APP}/welcome`)
    })

    it('restricts sign-up: a browser’s sign-up is then refused', async () => {
      const signUp = section('Sign-up')
      await signUp.getByLabel('Who may sign up').selectOption('restricted')
      await signUp.getByRole('button', { name: 'Save sign-up' }).click()
      await expect.poll(() => saved('Sign-up').isVisible()).toBe(true)
      expect((await bapi('/v1/instance/user_settings')).sign_up.mode).toBe('restricted')
      const b = new BrowserClient(server.url)
      const r = await b.post('/v1/client/sign_ups', {
        email_address: `newcomer-${dialect}@example.com`,
        password: 'a fine long password 1',
      })
      expect(r.status).toBe(403)
      await signUp.getByLabel('Who may sign up').selectOption('public')
      await signUp.getByRole('button', { name: 'Save sign-up' }).click()
      await expect
        .poll(async () => (await bapi('/v1/instance/user_settings')).sign_up.mode)
        .toBe('public')
    })

    it('turns a first factor off (the environment stops offering it) and refuses turning all off', async () => {
      const signIn = section('Sign-in')
      await signIn.getByLabel('Passkey').uncheck()
      await signIn.getByRole('button', { name: 'Save sign-in' }).click()
      await expect.poll(() => saved('Sign-in').isVisible()).toBe(true)
      const env = await (await fetch(`${server.url}/v1/environment`)).json()
      expect(env.user_settings.attributes.passkey.enabled).toBe(false)
      const before = (await bapi('/v1/instance/user_settings')).first_factors
      expect(before).toMatchObject({ password: true, passkey: false })
      for (const f of ['Password', 'Email code', 'Email link'])
        await signIn.getByLabel(f, { exact: true }).uncheck()
      await signIn.getByRole('button', { name: 'Save sign-in' }).click()
      await expect
        .poll(() => signIn.getByRole('alert').textContent())
        .toMatch(/At least one of password, email_code and email_link must stay enabled/)
      // Nothing changed: the factors are as the first save left them.
      expect((await bapi('/v1/instance/user_settings')).first_factors).toEqual(before)
    })

    it('refuses backup codes without the authenticator app; turns step-up on; restrictions', async () => {
      const mfa = section('Multi-factor')
      await mfa.getByLabel('Authenticator app (TOTP)').uncheck()
      await mfa.getByRole('button', { name: 'Save multi-factor' }).click()
      await expect
        .poll(() => mfa.getByRole('alert').textContent())
        .toMatch(/backup_code needs totp/)
      expect((await bapi('/v1/instance/user_settings')).second_factors.totp).toBe(true)
      const step = section('Step-up')
      await step.getByLabel('Require a recent verification for sensitive actions').check()
      await step.getByLabel('Recent means within (minutes)').fill('15')
      await step.getByLabel('Proved with').selectOption('first_factor')
      await step.getByRole('button', { name: 'Save step-up' }).click()
      await expect.poll(() => saved('Step-up').isVisible()).toBe(true)
      expect((await bapi('/v1/instance/user_settings')).reverification).toEqual({
        enabled: true,
        max_age_minutes: 15,
        level: 'first_factor',
      })
      const restrictions = section('Restrictions')
      await restrictions.getByLabel('Block email subaddresses (name+tag@…)').check()
      await restrictions.getByRole('button', { name: 'Save restrictions' }).click()
      await expect.poll(() => saved('Restrictions').isVisible()).toBe(true)
      expect((await bapi('/v1/instance/restrictions')).block_email_subaddresses).toBe(true)
      expect(await seriousAxeViolations(page)).toEqual([])
    })

    it('sets the session lifetime: a new session expires then; a timeout longer than it is refused', async () => {
      const sessions = section('Sessions')
      await expect
        .poll(() => sessions.getByLabel('Maximum lifetime (minutes)').inputValue())
        .toBe(String(7 * 24 * 60))
      // The environment's values, until the operator chooses their own.
      const useEnv = sessions.getByLabel('Use the server’s environment values')
      expect(await useEnv.isChecked()).toBe(true)
      expect(await sessions.getByLabel('Maximum lifetime (minutes)').isDisabled()).toBe(true)
      await useEnv.uncheck()
      await sessions.getByLabel('Maximum lifetime (minutes)').fill('60')
      await sessions.getByLabel('Inactivity timeout (minutes)').fill('90')
      await sessions.getByRole('button', { name: 'Save sessions' }).click()
      // A timeout longer than the lifetime: the API refuses, nothing changes.
      await expect
        .poll(() => sessions.getByRole('alert').textContent())
        .toMatch(/inactivity_timeout \(5400 seconds\) must not be longer than max_session_lifetime/)
      expect((await bapi('/v1/instance/session_settings')).max_session_lifetime).toBe(604800)
      await sessions.getByLabel('Inactivity timeout (minutes)').fill('30')
      await sessions.getByRole('button', { name: 'Save sessions' }).click()
      await expect.poll(() => saved('Sessions').isVisible()).toBe(true)
      expect(await bapi('/v1/instance/session_settings')).toMatchObject({
        max_session_lifetime: 3600,
        inactivity_timeout: 1800,
        inactivity_timeout_enabled: true,
      })
      // A sign-in now: its session lasts an hour (read with @clerk/backend).
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      const before = Date.now()
      const sid = await new BrowserClient(server.url).signIn(OPERATOR, PASSWORD)
      const session = await clerk.sessions.getSession(sid)
      expect(session.expireAt - session.createdAt).toBe(3600_000)
      expect(session.abandonAt - session.lastActiveAt).toBe(1800_000)
      expect(session.createdAt).toBeGreaterThanOrEqual(before)
      // Turned off, the timeout no longer ends idle sessions.
      await sessions.getByLabel('End sessions after a period of inactivity').uncheck()
      await sessions.getByRole('button', { name: 'Save sessions' }).click()
      await expect.poll(() => saved('Sessions').isVisible()).toBe(true)
      expect((await bapi('/v1/instance/session_settings')).inactivity_timeout_enabled).toBe(false)
    })

    it('sets the lockout: at 2, the second wrong password locks; 1001 is refused in the API’s words', async () => {
      const lockout = section('Lockout')
      await expect
        .poll(() => lockout.getByLabel('Wrong passwords before the account locks').inputValue())
        .toBe('100')
      await lockout.getByLabel('Use the server’s environment values').uncheck()
      await lockout.getByLabel('Wrong passwords before the account locks').fill('1001')
      await lockout.getByRole('button', { name: 'Save lockout' }).click()
      await expect
        .poll(() => lockout.getByRole('alert').textContent())
        .toMatch(/must be at most 1000/)
      expect((await bapi('/v1/instance/user_lockout')).max_attempts).toBe(100)
      await lockout.getByLabel('Wrong passwords before the account locks').fill('2')
      await lockout.getByLabel('Locked for (minutes)').fill('5')
      await lockout.getByRole('button', { name: 'Save lockout' }).click()
      await expect.poll(() => saved('Lockout').isVisible()).toBe(true)
      expect(await bapi('/v1/instance/user_lockout')).toMatchObject({
        max_attempts: 2,
        duration_in_seconds: 300,
      })
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      const victim = await clerk.users.createUser({
        emailAddress: [`lockable-${dialect}@example.com`],
        password: PASSWORD,
      })
      const statuses: number[] = []
      for (const password of ['wrong one', 'wrong two', PASSWORD]) {
        const r = await new BrowserClient(server.url).post('/v1/client/sign_ins', {
          identifier: `lockable-${dialect}@example.com`,
          password,
          strategy: 'password',
        })
        statuses.push(r.status)
      }
      expect(statuses).toEqual([422, 403, 403])
      const locked = await clerk.users.getUser(victim.id)
      expect(locked.locked).toBe(true)
      expect(await seriousAxeViolations(page)).toEqual([])
    })

    it('is usable at 390 px wide, and reloaded shows what was saved', async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      await page.reload()
      await expect
        .poll(() => section('Application').getByLabel('Application name').inputValue())
        .toBe('Acme Notes')
      expect(await section('Paths').getByLabel('After sign-in URL').inputValue()).toBe(
        `${APP}/welcome`,
      )
      expect(await section('Sign-in').getByLabel('Passkey').isChecked()).toBe(false)
      expect(await section('Sessions').getByLabel('Maximum lifetime (minutes)').inputValue()).toBe(
        '60',
      )
      expect(
        await section('Lockout')
          .getByLabel('Wrong passwords before the account locks')
          .inputValue(),
      ).toBe('2')
      // Back to the environment's lockout: the API then follows LATCHKEY_LOCKOUT_ATTEMPTS again.
      const lockout = section('Lockout')
      expect(await lockout.getByLabel('Use the server’s environment values').isChecked()).toBe(
        false,
      )
      await lockout.getByLabel('Use the server’s environment values').check()
      await lockout.getByRole('button', { name: 'Save lockout' }).click()
      await expect.poll(() => saved('Lockout').isVisible()).toBe(true)
      expect(await bapi('/v1/instance/user_lockout')).toMatchObject({
        max_attempts: 100,
        duration_in_seconds: 3600,
        overridden: { max_attempts: false, duration_in_seconds: false },
      })
      expect(
        await lockout.getByLabel('Wrong passwords before the account locks').inputValue(),
      ).toBe('100')
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      )
      expect(overflow).toBeLessThanOrEqual(0)
      expect(await seriousAxeViolations(page)).toEqual([])
    })
  })
})
