import type { Browser } from 'playwright-core'
import { startSmtpServer, type TestSmtpServer } from '../../../packages/server/test/helpers/smtp.js'
import {
  createTestServer,
  type Dialect,
  type TestServer,
} from '../../../packages/server/test/helpers/test-server.js'
import { freePort, launchChromium } from '../browser.js'
import { type ClerkApp, startClerkApp } from './clerk-app.js'

type TestServerOptions = NonNullable<Parameters<typeof createTestServer>[1]>

/** The operator's switch for sign-in and sign-up email factors (Backend API, issue #16). */
export async function setFirstFactors(
  server: TestServer,
  factors: { email_code?: boolean; email_link?: boolean; password?: boolean },
): Promise<void> {
  await patchUserSettings(server, { first_factors: factors })
}

/** The next mail to `to` after the `at`-th message, with a bound that names the step. */
export async function nextMail(smtp: TestSmtpServer, to: string, at: number, what: string) {
  try {
    return await smtp.waitForMail(to, { after: at, timeoutMs: 20_000 })
  } catch (error) {
    throw new Error(`no ${what} mail to ${to}: ${String(error)}`)
  }
}

/** Each of a user's addresses and its verification status (Backend API). */
export async function emailStatuses(server: TestServer, userId: string) {
  const res = await fetch(`${server.url}/v1/users/${userId}`, {
    headers: { authorization: `Bearer ${server.secretKey}` },
  })
  const user = (await res.json()) as {
    email_addresses: { email_address: string; verification: { status: string } | null }[]
  }
  return user.email_addresses.map((e) => [e.email_address, e.verification?.status ?? null])
}

/** The operator's `PATCH /v1/instance/user_settings` (Backend API). */
export async function patchUserSettings(server: TestServer, body: object): Promise<void> {
  const res = await fetch(`${server.url}/v1/instance/user_settings`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`user_settings: ${res.status} ${await res.text()}`)
}

/** What a Clerk UI suite runs against: Chromium, a Latchkey server, its SMTP server, the app. */
export type ClerkStack = {
  browser: Browser
  server: TestServer
  /** Only when asked for (`smtp: true`). */
  smtp: TestSmtpServer | undefined
  app: ClerkApp
  close(): Promise<void>
}

/**
 * One Clerk UI suite's setup: Chromium, a Latchkey server on `dialect` allowing the app's origin
 * (mail to a real SMTP server when `smtp`), the operator's user settings, then the Vite app in
 * `fixture` written against Clerk's unchanged packages, reaching Latchkey through `/__clerk`.
 */
export async function startClerkStack(
  dialect: Dialect,
  opts: {
    fixture: URL
    smtp?: boolean
    server?: Omit<TestServerOptions, 'env' | 'smtpUrl'>
    userSettings?: object
  },
): Promise<ClerkStack> {
  const browser = await launchChromium()
  const smtp = opts.smtp ? await startSmtpServer() : undefined
  const port = await freePort()
  const server = await createTestServer(dialect, {
    ...opts.server,
    ...(smtp ? { smtpUrl: smtp.url } : {}),
    env: { LATCHKEY_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` },
  })
  if (opts.userSettings) await patchUserSettings(server, opts.userSettings)
  const app = await startClerkApp({
    root: opts.fixture,
    port,
    latchkeyUrl: server.url,
    publishableKey: server.publishableKey,
  })
  return {
    browser,
    server,
    smtp,
    app,
    async close() {
      await app.close()
      await server.close()
      await smtp?.close()
      await browser.close()
    },
  }
}
