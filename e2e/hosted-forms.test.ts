import type { Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page, Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import {
  forgedFormPage,
  type RelyingParty,
  serveHtml,
  startRelyingParty,
} from './helpers/relying-party.js'

const EMAIL = 'ada@example.com'
const PASSWORD = 'analytical engine 1843'
const MALLORY = 'mallory@example.com'

/**
 * The OAuth issuer a relying party discovers (`{issuer}/.well-known/openid-configuration`). The
 * one place to change if the issuer moves, e.g. under `/oauth`.
 */
const issuerOf = (server: TestServer) => new URL(`${server.url}/oauth`)

/**
 * The hosted forms as people meet them, in Chromium: "Sign in with …" from a real relying party
 * (openid-client) through the hosted sign-in and the consent screen, the forms without
 * JavaScript, and other sites' pages that submit forms to them (regression tests for the
 * security issue "hosted pages must work in the browsers people use": the pages sent
 * `Referrer-Policy: no-referrer`, so Chromium posted their forms with `Origin: null` and every
 * Allow, Deny and JavaScript-free sign-in was refused, while the Frontend API took `Origin: null`
 * as no Origin at all).
 */
describe.skipIf(!HAVE_CHROMIUM)('hosted forms in Chromium', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  describe.each(DIALECTS)('%s', (dialect) => {
    let server: TestServer
    let rp: RelyingParty
    let userId: string
    /** Pages of another site (`localhost` is a different site from `127.0.0.1`)… */
    let crossSite: { server: Server; origin: string }
    /** …and of another origin on the same site (another port of `127.0.0.1`). */
    let sameSite: { server: Server; origin: string }
    const pages = new Map<string, string>()

    beforeAll(async () => {
      server = await createTestServer(dialect)
      const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
      userId = (await clerk.users.createUser({ emailAddress: [EMAIL], password: PASSWORD })).id
      await clerk.users.createUser({ emailAddress: [MALLORY], password: PASSWORD })
      const rpPort = await freePort()
      const rpOrigin = `http://localhost:${rpPort}`
      const app = await clerk.oauthApplications.create({
        name: 'Acme Analytics',
        redirectUris: [`${rpOrigin}/callback`],
        scopes: 'profile email public_metadata',
      })
      rp = await startRelyingParty({
        issuer: issuerOf(server),
        clientId: app.clientId,
        clientSecret: (app as unknown as { clientSecret: string }).clientSecret,
        origin: rpOrigin,
      })
      const [crossPort, samePort] = [await freePort(), await freePort()]
      crossSite = {
        server: await serveHtml(crossPort, pages),
        origin: `http://localhost:${crossPort}`,
      }
      sameSite = {
        server: await serveHtml(samePort, pages),
        origin: `http://127.0.0.1:${samePort}`,
      }
    })
    afterAll(async () => {
      await rp?.close()
      for (const s of [crossSite?.server, sameSite?.server]) await new Promise((r) => s?.close(r))
      await server?.close()
    })

    /** A fresh browser profile; waits fail after 10 s, so a refused step names itself. */
    const context = async (javaScriptEnabled: boolean) => {
      const ctx = await browser.newContext({ javaScriptEnabled })
      ctx.setDefaultTimeout(10_000)
      return ctx
    }
    const consentItems = (page: Page) =>
      page
        .getByRole('list', { name: 'Requested permissions' })
        .getByRole('listitem')
        .allTextContents()
    const result = (page: Page) => page.locator('#result').textContent()
    const signedInClient = async (ctx: BrowserContext) => {
      const res = await ctx.request.get(`${server.url}/v1/client`)
      return (await res.json()).response as { sessions: { user: { id: string } }[] } | null
    }
    /** Fills the hosted sign-in: the prebuilt component with JavaScript, the plain form without. */
    const signIn = async (page: Page, email: string, js: boolean) => {
      await page.waitForURL((u) => u.pathname === '/sign-in')
      if (js) await expect.poll(() => page.locator('[data-latchkey="sign-in"]').count()).toBe(1)
      await page.getByLabel('Email address').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Continue' }).click()
    }
    /** Opens another site's page and answers the response to the form post it makes. */
    const forged = async (ctx: BrowserContext, origin: string, path: string, html: string) => {
      pages.set(path, html)
      const page = await ctx.newPage()
      const posted = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().startsWith(server.url),
      )
      await page.goto(`${origin}${path}`)
      const response: Response = await posted
      return { page, response }
    }

    it("a relying party's code flow: hosted sign-in, Allow on the consent page, the app exchanges its code", async () => {
      const ctx = await context(true)
      const page = await ctx.newPage()
      await page.goto(`${rp.url}/login`)
      await signIn(page, EMAIL, true)
      await page.waitForURL((u) => u.pathname.startsWith('/oauth/interaction/'))
      expect(await page.getByRole('heading').textContent()).toBe(
        'Acme Analytics wants to access your account',
      )
      expect(await consentItems(page)).toEqual([
        'Know who you are',
        'Your name, username and profile picture',
        'Your email address',
      ])
      await page.getByRole('button', { name: 'Allow' }).click()
      await page.waitForURL((u) => u.href.startsWith(`${rp.redirectUri}?`))
      expect(await result(page)).toBe(`signed in as ${userId}`)
      expect(rp.callbacks.at(-1)).toMatchObject({ kind: 'tokens', sub: userId })

      // prompt=consent asks again although the grant exists: the screen lists what is asked for.
      await page.goto(`${rp.url}/login?prompt=consent&scope=openid+email+public_metadata`)
      await page.waitForURL((u) => u.pathname.startsWith('/oauth/interaction/'))
      expect(await consentItems(page)).toEqual([
        'Know who you are',
        'Your email address',
        'Your public metadata',
      ])
      await page.getByRole('button', { name: 'Allow' }).click()
      await page.waitForURL((u) => u.href.startsWith(`${rp.redirectUri}?`))
      expect(await result(page)).toBe(`signed in as ${userId}`)
      await ctx.close()
    })

    it('without JavaScript: the hosted sign-in form, then Deny sends access_denied to the app', async () => {
      const ctx = await context(false)
      const page = await ctx.newPage()
      // prompt=consent: the consent screen shows even if an earlier test left a grant.
      await page.goto(`${rp.url}/login?prompt=consent`)
      await signIn(page, EMAIL, false)
      await page.waitForURL((u) => u.pathname.startsWith('/oauth/interaction/'))
      await page.getByRole('button', { name: 'Deny' }).click()
      await page.waitForURL((u) => u.href.startsWith(`${rp.redirectUri}?`))
      expect(await result(page)).toBe('error: access_denied')
      expect(rp.callbacks.at(-1)).toMatchObject({ kind: 'error', error: 'access_denied' })
      await ctx.close()
    })

    it('the hosted sign-in and sign-up work without JavaScript and land signed in', async () => {
      const ctx = await context(false)
      const page = await ctx.newPage()
      await page.goto(`${server.url}/sign-in`)
      await page.getByLabel('Email address').fill(EMAIL)
      await page.getByLabel('Password').fill('not the password')
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toMatch(/^Password is incorrect/)
      // The form shown again with its error still submits.
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Continue' }).click()
      await expect.poll(() => page.getByRole('heading').textContent()).toBe('You are signed in')
      expect((await signedInClient(ctx))?.sessions.map((s) => s.user.id)).toEqual([userId])
      await ctx.close()

      const fresh = await context(false)
      const signUp = await fresh.newPage()
      await signUp.goto(`${server.url}/sign-up`)
      await signUp.getByLabel('Email address').fill('grace@example.com')
      await signUp.getByLabel('Password').fill('compiler pioneer 1952')
      await signUp.getByRole('button', { name: 'Create account' }).click()
      await expect.poll(() => signUp.getByRole('heading').textContent()).toBe('You are signed in')
      expect((await signedInClient(fresh))?.sessions).toHaveLength(1)
      await fresh.close()
    })

    it('another site cannot sign the browser in through the hosted sign-in (login CSRF)', async () => {
      const cases = [
        { origin: () => crossSite.origin, noReferrer: false },
        { origin: () => crossSite.origin, noReferrer: true },
        { origin: () => sameSite.origin, noReferrer: false },
      ]
      for (const [i, c] of cases.entries()) {
        const ctx = await context(true)
        // The victim has been on the sign-in page before: its form cookie is in the browser.
        await (await ctx.newPage()).goto(`${server.url}/sign-in`)
        const { response } = await forged(
          ctx,
          c.origin(),
          `/sign-in-${i}`,
          forgedFormPage(
            `${server.url}/sign-in`,
            { identifier: MALLORY, password: PASSWORD },
            { noReferrer: c.noReferrer },
          ),
        )
        expect(response.status(), JSON.stringify(c)).toBe(403)
        expect(await signedInClient(ctx)).toBeNull()
        await ctx.close()
      }
    })

    it("another site's Origin: null form post to the Frontend API is refused (login CSRF)", async () => {
      const ctx = await context(true)
      const { response } = await forged(
        ctx,
        crossSite.origin,
        '/fapi',
        forgedFormPage(
          `${server.url}/v1/client/sign_ins`,
          { identifier: MALLORY, password: PASSWORD, strategy: 'password' },
          { noReferrer: true },
        ),
      )
      expect(response.request().headers().origin).toBe('null')
      expect(response.status()).toBe(403)
      expect((await response.json()).errors[0].code).toBe('origin_invalid')
      expect(await signedInClient(ctx)).toBeNull()
      await ctx.close()
    })

    it('another site cannot press Allow on a consent page the user has open', async () => {
      const ctx = await context(true)
      const consent = await ctx.newPage()
      await consent.goto(`${rp.url}/login?prompt=consent`)
      await signIn(consent, EMAIL, true)
      await consent.waitForURL((u) => u.pathname.startsWith('/oauth/interaction/'))
      const action = `${server.url}${new URL(consent.url()).pathname}`
      const before = rp.callbacks.length
      for (const [i, origin] of [crossSite.origin, sameSite.origin].entries()) {
        const { page, response } = await forged(
          ctx,
          origin,
          `/consent-${i}`,
          forgedFormPage(action, { decision: 'allow' }),
        )
        expect(response.status(), origin).toBe(403)
        expect(page.url()).toBe(action)
        await page.close()
      }
      expect(rp.callbacks.length).toBe(before)
      // The user's own page still works.
      await consent.getByRole('button', { name: 'Allow' }).click()
      await consent.waitForURL((u) => u.href.startsWith(`${rp.redirectUri}?`))
      expect(await result(consent)).toBe(`signed in as ${userId}`)
      await ctx.close()
    })
  })
})
