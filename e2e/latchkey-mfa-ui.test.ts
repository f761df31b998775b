import type { Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import * as OTPAuth from 'otpauth'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { decodeQR } from 'qr/decode.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPlainHtmlExample } from '../examples/plain-html/server.js'
import {
  codeFrom,
  startSmtpServer,
  type TestSmtpServer,
} from '../packages/server/test/helpers/smtp.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

const PASSWORD = 'correct horse battery staple'
const STEP_MS = 15_000

/** The pixels of the QR code as the page draws it, read back through a canvas. */
async function qrPixels(svg: Locator) {
  const image = await svg.evaluate(async (el) => {
    const markup = new XMLSerializer().serializeToString(el)
    const img = new Image()
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`
    await img.decode()
    const side = 400
    const canvas = document.createElement('canvas')
    canvas.width = side
    canvas.height = side
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new Error('no 2d context')
    ctx.imageSmoothingEnabled = false
    ctx.drawImage(img, 0, 0, side, side)
    const { data } = ctx.getImageData(0, 0, side, side)
    return { width: side, height: side, data: Array.from(data) }
  })
  return { ...image, data: Uint8ClampedArray.from(image.data) }
}

/**
 * Issue #17 items 1–3 and 7 in Chromium: Latchkey's own prebuilt profile sets up an authenticator
 * app from its QR code (the code computed here with `otpauth` from the URI the QR code carries)
 * and shows the backup codes once; the prebuilt sign-in then asks for the app's code after the
 * password, or for a backup code through "Use a backup code", each backup code good once.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)(
  'two-step verification in the prebuilt UI (%s)',
  (dialect) => {
    let server: TestServer
    let smtp: TestSmtpServer
    let app: Server
    let appUrl: string
    let browser: Browser
    let ctx: BrowserContext
    let tab: Page
    let totp: OTPAuth.TOTP
    let backupCodes: string[] = []
    const ada = `ada-mfa-${dialect}@example.com`

    beforeAll(async () => {
      const port = await freePort()
      appUrl = `http://127.0.0.1:${port}`
      smtp = await startSmtpServer()
      server = await createTestServer(dialect, {
        smtpUrl: smtp.url,
        env: { LATCHKEY_ALLOWED_ORIGINS: appUrl },
      })
      app = await startPlainHtmlExample({ port, host: '127.0.0.1', latchkeyUrl: server.url })
      browser = await launchChromium()
      ctx = await browser.newContext()
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: appUrl })
      tab = await ctx.newPage()
      await tab.goto(appUrl)
    })

    afterAll(async () => {
      await browser?.close()
      await new Promise((r) => app?.close(r))
      await server?.close()
      await smtp?.close()
    })

    const clerk = () => createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const userOf = async (email: string) => {
      const [user] = (await clerk().users.getUserList({ emailAddress: [email] })).data
      if (!user) throw new Error(`no user ${email}`)
      return user
    }
    const status = () => tab.locator('#status')
    const signedIn = () =>
      expect.poll(() => status().textContent(), { timeout: STEP_MS }).toBe(`Signed in as ${ada}`)
    const security = () =>
      tab.locator('#profile').getByRole('region', { name: 'Two-step verification' })

    async function signOut() {
      await tab.getByRole('button', { name: /Open user menu/ }).click()
      await tab.getByRole('menuitem', { name: 'Sign out' }).click()
      await expect.poll(() => status().textContent()).toBe('Signed out')
    }

    /** Email and password in the sign-in dialog; a user with a second factor is asked for it. */
    async function password() {
      await tab.getByRole('button', { name: 'Sign in' }).click()
      const dialog = tab.getByRole('dialog', { name: 'Sign in' })
      await dialog.getByLabel('Email address').fill(ada)
      await dialog.getByLabel('Password').fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Continue' }).click()
      await dialog
        .getByRole('heading', { name: 'Two-step verification' })
        .waitFor({ timeout: STEP_MS })
      return dialog
    }

    const submit = async (dialog: Locator, label: string, code: string) => {
      await dialog.getByLabel(label).fill(code)
      await dialog.getByRole('button', { name: 'Continue' }).click()
    }
    const alertOf = (l: Locator) => l.getByRole('alert').first()

    it('sets up an authenticator app from the QR code and shows the backup codes once', async () => {
      await tab.getByRole('button', { name: 'Sign up' }).click()
      const dialog = tab.getByRole('dialog', { name: 'Sign up' })
      await dialog.getByLabel('Email address').fill(ada)
      await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Create account' }).click()
      await signedIn()

      const section = security()
      await section.getByRole('button', { name: 'Set up authenticator app' }).click()
      const qr = section.getByRole('img', { name: 'QR code for your authenticator app' })
      await qr.waitFor({ timeout: STEP_MS })
      expect(await qr.evaluate((el) => el.tagName.toLowerCase())).toBe('svg')
      // What an authenticator app reads from the QR code is the URI the page names, and it carries
      // the key shown for typing in.
      const uri = decodeQR(await qrPixels(qr))
      expect(await section.locator('[data-otpauth-uri]').getAttribute('data-otpauth-uri')).toBe(uri)
      const parsed = OTPAuth.URI.parse(uri)
      if (!(parsed instanceof OTPAuth.TOTP)) throw new Error(`not a TOTP URI: ${uri}`)
      totp = parsed
      expect(totp.issuer).toBeTruthy()
      expect(totp.label).toBe(ada)
      const shown = (await section.locator('code[data-secret]').textContent()) ?? ''
      expect(shown.replace(/\s/g, '')).toBe(totp.secret.base32)

      const code = section.getByLabel('Code from the app')
      const right = totp.generate()
      await code.fill(right === '000000' ? '111111' : '000000')
      await section.getByRole('button', { name: 'Verify' }).click()
      await expect
        .poll(() => alertOf(section).textContent())
        .toBe('That code is incorrect. Check your authenticator app and try again.')
      expect(await code.getAttribute('aria-invalid')).toBe('true')
      await code.fill(totp.generate())
      await section.getByRole('button', { name: 'Verify' }).click()

      const list = section.getByRole('list', { name: 'Backup codes' })
      await list.waitFor({ timeout: STEP_MS })
      backupCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim())
      expect(backupCodes).toHaveLength(10)
      for (const c of backupCodes) expect(c).toMatch(/^[a-z0-9]{8}$/)
      await section.getByRole('button', { name: 'Copy codes' }).click()
      await expect
        .poll(() => section.getByRole('status').textContent())
        .toBe('Backup codes copied.')
      expect(await tab.evaluate(() => navigator.clipboard.readText())).toBe(backupCodes.join('\n'))
      await section.getByRole('button', { name: 'I’ve saved them' }).click()
      // Shown once: gone from the page, and the section now offers what an enrolled user can do.
      expect(await list.count()).toBe(0)
      await section.getByRole('button', { name: 'Regenerate backup codes' }).waitFor()
      expect(await section.getByRole('button', { name: 'Remove authenticator app' }).count()).toBe(
        1,
      )
      const user = await userOf(ada)
      expect([user.totpEnabled, user.backupCodeEnabled, user.twoFactorEnabled]).toEqual([
        true,
        true,
        true,
      ])
    }, 60_000)

    it('signs in with the password, then the app’s code; a wrong code is refused visibly', async () => {
      await signOut()
      const dialog = await password()
      const field = dialog.getByLabel('Authenticator code')
      expect(await field.getAttribute('autocomplete')).toBe('one-time-code')
      expect(await field.evaluate((el) => el === document.activeElement)).toBe(true)
      // A wrong code: refused, said on the field.
      const now = totp.generate()
      await submit(dialog, 'Authenticator code', now === '123456' ? '654321' : '123456')
      await expect
        .poll(() => alertOf(dialog).textContent())
        .toBe('That code is incorrect. Check your authenticator app and try again.')
      expect(await field.getAttribute('aria-invalid')).toBe('true')
      // The enrolment spent this 30-second step's code: the app's next one (accepted a step early).
      await submit(dialog, 'Authenticator code', totp.generate({ timestamp: Date.now() + 30_000 }))
      await signedIn()
      await expect.poll(() => tab.getByRole('dialog').count()).toBe(0)
    })

    it('signs in with a backup code through “Use a backup code”; the same code is refused next time', async () => {
      await signOut()
      let dialog = await password()
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      await dialog.getByLabel('Backup code').waitFor()
      // And back, and there again.
      await dialog.getByRole('button', { name: 'Use your authenticator app' }).click()
      await dialog.getByLabel('Authenticator code').waitFor()
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      const [first, second] = backupCodes
      await submit(dialog, 'Backup code', first ?? '')
      await signedIn()

      await signOut()
      dialog = await password()
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      await submit(dialog, 'Backup code', first ?? '')
      await expect
        .poll(() => alertOf(dialog).textContent())
        .toBe('That backup code is incorrect or was already used.')
      expect(await status().textContent()).toBe('Signed out')
      await submit(dialog, 'Backup code', second ?? '')
      await signedIn()
    })

    it('asks for the second factor after an email code too', async () => {
      await signOut()
      await tab.getByRole('button', { name: 'Sign in' }).click()
      const dialog = tab.getByRole('dialog', { name: 'Sign in' })
      await dialog.getByLabel('Email address').fill(ada)
      const at = smtp.messages.length
      await dialog.getByRole('button', { name: 'Email me a code' }).click()
      await dialog.getByRole('heading', { name: 'Check your email' }).waitFor({ timeout: STEP_MS })
      const mail = await smtp.waitForMail(ada, { after: at, timeoutMs: STEP_MS })
      await dialog.getByLabel('Verification code').fill(codeFrom(mail))
      await dialog.getByRole('button', { name: 'Verify' }).click()
      await dialog
        .getByRole('heading', { name: 'Two-step verification' })
        .waitFor({ timeout: STEP_MS })
      expect(await status().textContent()).toBe('Signed out')
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      await submit(dialog, 'Backup code', backupCodes[4] ?? '')
      await signedIn()
    })

    it('says so when a sign-in’s attempts run out', async () => {
      await signOut()
      const dialog = await password()
      for (const wrong of ['000001', '000002']) {
        await submit(dialog, 'Authenticator code', wrong)
        await expect
          .poll(() => alertOf(dialog).textContent())
          .toBe('That code is incorrect. Check your authenticator app and try again.')
      }
      await submit(dialog, 'Authenticator code', '000003')
      await expect
        .poll(() => alertOf(dialog).textContent())
        .toBe('Too many incorrect codes. Start the sign-in again.')
      await dialog.getByRole('button', { name: 'Start again' }).click()
      await dialog.getByLabel('Email address').waitFor()
      await tab.keyboard.press('Escape')
      expect(await status().textContent()).toBe('Signed out')
    })

    it('regenerates the backup codes (the old ones stop working) and removes the app', async () => {
      const dialog = await password()
      await dialog.getByRole('button', { name: 'Use a backup code' }).click()
      await submit(dialog, 'Backup code', backupCodes[2] ?? '')
      await signedIn()

      const section = security()
      await section.getByRole('button', { name: 'Regenerate backup codes' }).click()
      const list = section.getByRole('list', { name: 'Backup codes' })
      await list.waitFor({ timeout: STEP_MS })
      const fresh = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim())
      expect(fresh).toHaveLength(10)
      expect(fresh.filter((c) => backupCodes.includes(c))).toEqual([])
      await section.getByRole('button', { name: 'I’ve saved them' }).click()

      await signOut()
      const next = await password()
      await next.getByRole('button', { name: 'Use a backup code' }).click()
      await submit(next, 'Backup code', backupCodes[3] ?? '')
      await expect
        .poll(() => alertOf(next).textContent())
        .toBe('That backup code is incorrect or was already used.')
      await submit(next, 'Backup code', fresh[0] ?? '')
      await signedIn()

      await security().getByRole('button', { name: 'Remove authenticator app' }).click()
      await security().getByRole('button', { name: 'Yes, remove it' }).click()
      await expect
        .poll(() => security().getByRole('status').textContent())
        .toBe('The authenticator app was removed.')
      await security().getByRole('button', { name: 'Set up authenticator app' }).waitFor()
      const user = await userOf(ada)
      expect([user.totpEnabled, user.backupCodeEnabled, user.twoFactorEnabled]).toEqual([
        false,
        false,
        false,
      ])

      // The password alone signs in again.
      await signOut()
      await tab.getByRole('button', { name: 'Sign in' }).click()
      const again = tab.getByRole('dialog', { name: 'Sign in' })
      await again.getByLabel('Email address').fill(ada)
      await again.getByLabel('Password').fill(PASSWORD)
      await again.getByRole('button', { name: 'Continue' }).click()
      await signedIn()
    }, 60_000)
  },
)
