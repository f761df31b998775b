import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { Webhook } from 'svix'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEBHOOK_EVENT_TYPES } from '../packages/server/src/webhooks/webhook-events.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { type Received, WebhookReceiver } from '../packages/server/test/helpers/webhook-receiver.js'
import { seriousAxeViolations } from './helpers/axe.js'
import { HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'
import { ensureDashboardBuilt } from './helpers/dashboard.js'

/*
 * Issue #20, the dashboard's Webhooks pages, in Chromium on both dialects. A real receiver on
 * loopback verifies every delivery with svix's `Webhook.verify` and the secret the page showed:
 * an endpoint created through the UI gets the test event the page sends, and the page lists the
 * attempt; a user created through @clerk/backend arrives as user.created; after a rotation in
 * the UI the next delivery verifies with the new secret; disabled in the UI, the endpoint gets
 * nothing, and "Replay everything since" sends what it missed; one message replayed arrives
 * with the same svix-id; deleted, the API 404s. URLs the API refuses (malformed; loopback and
 * metadata addresses on a server that refuses private ones) are refused in its words and
 * nothing changes. Axe and 390 px on both pages. The worker is in-process: the tests wait for
 * it with `webhookWorker.drained()`, as the delivery tests do, never with a sleep.
 */

const OPERATOR = 'hooks-operator@example.com'
const PASSWORD = 'correct horse battery staple'
const SCREENSHOTS = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))

type Envelope = { type: string; data: { id?: string; object?: string } }

/** What a receiver does: svix's verify, with the delivery's own headers. Throws if it fails. */
function verified(secret: string, r: Received): Envelope {
  // svix 2's verify returns nothing: it throws unless the signature and timestamp hold.
  new Webhook(secret).verify(r.body, {
    'svix-id': String(r.headers['svix-id']),
    'svix-timestamp': String(r.headers['svix-timestamp']),
    'svix-signature': String(r.headers['svix-signature']),
  })
  return JSON.parse(r.body) as Envelope
}

async function signedIn(browser: Browser, server: TestServer, path: string, heading: string) {
  const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
  const operator = await clerk.users.createUser({ emailAddress: [OPERATOR], password: PASSWORD })
  const made = await fetch(`${server.url}/v1/operators`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: operator.id }),
  })
  expect(made.status).toBe(200)
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
  const page = await context.newPage()
  page.on('pageerror', (e) => console.error(`dashboard script error: ${e.message}`))
  await page.goto(`${server.url}${path}`)
  await page.getByLabel('Email address or username').fill(OPERATOR)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { level: 1, name: heading }).waitFor()
  // Events of the setup (the operator's user.created, the sign-in) go out before any endpoint.
  await server.services.webhookWorker.drained()
  return { clerk, context, page }
}

describe.skipIf(!HAVE_CHROMIUM)('the dashboard’s Webhooks pages in Chromium', () => {
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
    let receiver: WebhookReceiver
    let endpointId: string
    let secret: string
    let rotated: string
    let adaEventId: string
    const bapi = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: await res.json() }
    }
    const axe = async () => expect(await seriousAxeViolations(page)).toEqual([])
    const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name })
    const narrow = async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      )
      await page.setViewportSize({ width: 1280, height: 860 })
      expect(overflow).toBeLessThanOrEqual(0)
    }
    const drained = () => server.services.webhookWorker.drained()
    const deliveryRow = (name: RegExp) =>
      page.getByRole('region', { name: 'Recent deliveries' }).getByRole('row', { name })

    beforeAll(async () => {
      server = await createTestServer(dialect)
      receiver = await WebhookReceiver.start()
      ;({ clerk, context, page } = await signedIn(browser, server, '/dashboard/', 'Overview'))
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
      await receiver?.stop()
    })

    it('creates an endpoint (a malformed URL refused in the API’s words first); its secret is shown', async () => {
      await page
        .getByRole('navigation', { name: 'Dashboard' })
        .getByRole('link', { name: 'Webhooks' })
        .click()
      await expect.poll(() => heading('Webhooks').isVisible()).toBe(true)
      await expect.poll(() => page.getByText('No webhook endpoints yet.').isVisible()).toBe(true)
      const delivery = page.getByRole('region', { name: 'Delivery' })
      await expect.poll(() => delivery.textContent()).toMatch(/Pending deliveries0/)
      const form = page.getByRole('region', { name: 'Add endpoint' })
      // The checkboxes are the catalogue the API accepts, in its order.
      expect(await form.locator('fieldset label code').allTextContents()).toEqual([
        ...WEBHOOK_EVENT_TYPES,
      ])
      await form.getByLabel('Endpoint URL').fill('not a url')
      await form.getByRole('button', { name: 'Add endpoint' }).click()
      await expect
        .poll(() => form.getByRole('alert').textContent())
        .toBe('url must be an absolute http(s) URL.')
      expect((await bapi('GET', '/v1/webhooks/endpoints')).body).toEqual([])

      await form.getByLabel('Endpoint URL').fill(receiver.url)
      await form.getByLabel('Description (optional)').fill('User sync')
      await form.getByLabel(/^user\.created/).check()
      await form.getByLabel(/^user\.deleted/).check()
      await form.getByRole('button', { name: 'Add endpoint' }).click()
      const shown = page.getByTestId('signing-secret')
      await expect.poll(() => shown.isVisible()).toBe(true)
      secret = (await shown.textContent()) ?? ''
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
      await form.getByRole('button', { name: 'Copy signing secret' }).click()
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
      const listed = (await bapi('GET', '/v1/webhooks/endpoints')).body
      expect(listed).toMatchObject([
        {
          url: receiver.url,
          description: 'User sync',
          event_types: ['user.created', 'user.deleted'],
          enabled: true,
        },
      ])
      endpointId = listed[0].id
      const row = page.getByRole('row', { name: new RegExp(receiver.url) })
      await expect.poll(() => row.textContent()).toContain('user.created, user.deleted')
      expect(await row.textContent()).toContain('Enabled')
      expect(await row.textContent()).toContain('0 · 0 · 0')
      await axe()
      await narrow()
    })

    it('sends a test event: the receiver verifies it with the shown secret; the page lists the attempt', async () => {
      await page.getByRole('link', { name: 'Open it' }).click()
      await expect.poll(() => heading('User sync').isVisible()).toBe(true)
      expect(new URL(page.url()).pathname).toBe(`/dashboard/webhooks/${endpointId}`)
      await expect
        .poll(() => page.getByText('Nothing delivered yet. Send a test event.').isVisible())
        .toBe(true)
      await page.getByRole('button', { name: 'Send test event' }).click()
      await receiver.waitFor((got) => got.length === 1)
      const [got] = receiver.received
      if (!got) throw new Error('nothing received')
      const envelope = verified(secret, got)
      expect(envelope).toMatchObject({
        type: 'webhook.test',
        data: { object: 'webhook_test', endpoint_id: endpointId },
      })
      // The page asks again while the delivery is pending: the attempt, its status and answer.
      const row = deliveryRow(/webhook\.test/)
      await expect.poll(() => row.textContent()).toMatch(/succeeded.*1 attempt.*200\s*ok/)
      expect(await row.textContent()).toContain(got.id)
      await row.getByText('Attempts').click()
      await expect.poll(() => row.getByRole('listitem').textContent()).toMatch(/200 ok \(\d+ ms\)/)
      await axe()
      await narrow()
      if (dialect === DIALECTS[0]) {
        mkdirSync(SCREENSHOTS, { recursive: true })
        await page.evaluate(() => window.scrollTo(0, 0))
        await page.screenshot({ path: `${SCREENSHOTS}dashboard-webhook.png`, fullPage: false })
      }
    })

    it('delivers a user created through @clerk/backend as a verified user.created', async () => {
      const ada = await clerk.users.createUser({
        emailAddress: ['ada@example.com'],
        password: PASSWORD,
      })
      await drained()
      await receiver.waitFor((got) => got.length === 2)
      const got = receiver.received[1] as Received
      expect(verified(secret, got)).toMatchObject({
        type: 'user.created',
        data: { object: 'user', id: ada.id },
      })
      adaEventId = got.id
      await page.getByRole('button', { name: 'Refresh' }).click()
      await expect
        .poll(() => deliveryRow(/user\.created/).textContent())
        .toMatch(new RegExp(`${adaEventId}succeeded.*200`))
    })

    it('rotates the secret after confirming: the next delivery verifies with the new one', async () => {
      const secretCard = page.getByRole('region', { name: 'Signing secret' })
      await secretCard.getByRole('button', { name: 'Reveal signing secret' }).click()
      await expect.poll(() => page.getByTestId('signing-secret').textContent()).toBe(secret)
      await secretCard.getByRole('button', { name: 'Hide signing secret' }).click()

      await secretCard.getByRole('button', { name: 'Rotate secret' }).click()
      const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await axe()
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      expect((await bapi('GET', `/v1/webhooks/endpoints/${endpointId}/secret`)).body.secret).toBe(
        secret,
      )
      await secretCard.getByRole('button', { name: 'Rotate secret' }).click()
      await dialog.getByRole('button', { name: 'Rotate secret' }).click()
      await expect.poll(() => dialog.isVisible()).toBe(false)
      const shown = page.getByTestId('signing-secret')
      await expect.poll(async () => (await shown.textContent()) !== secret).toBe(true)
      rotated = (await shown.textContent()) ?? ''
      expect(rotated).toMatch(/^whsec_/)
      expect((await bapi('GET', `/v1/webhooks/endpoints/${endpointId}/secret`)).body.secret).toBe(
        rotated,
      )
      // A delivery from before the rotation is not signed with the new secret…
      expect(() => verified(rotated, receiver.received[0] as Received)).toThrow()
      await page.getByRole('button', { name: 'Send test event' }).click()
      await receiver.waitFor((got) => got.length === 3)
      const next = receiver.received[2] as Received
      // …the next one is, beside the old one (which keeps signing for 24 hours).
      expect(next.signatures).toHaveLength(2)
      expect(verified(rotated, next).type).toBe('webhook.test')
      expect(verified(secret, next).type).toBe('webhook.test')
    })

    it('disabled in the UI, it gets nothing; “Replay everything since” sends what it missed', async () => {
      const settings = page.getByRole('region', { name: 'Settings' })
      await settings.getByLabel(/^Enabled/).uncheck()
      await settings.getByRole('button', { name: 'Save endpoint' }).click()
      await expect.poll(() => settings.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect((await bapi('GET', `/v1/webhooks/endpoints/${endpointId}`)).body.enabled).toBe(false)
      expect(await page.getByText('Disabled', { exact: true }).isVisible()).toBe(true)
      const deliveriesBefore = (
        await bapi('GET', `/v1/webhooks/endpoints/${endpointId}/deliveries`)
      ).body.length
      const before = Date.now()
      const grace = await clerk.users.createUser({
        emailAddress: ['grace@example.com'],
        password: PASSWORD,
      })
      // The worker has fanned the event out and has nothing due: nothing went to this endpoint.
      await drained()
      expect(receiver.received).toHaveLength(3)
      expect(
        (await bapi('GET', `/v1/webhooks/endpoints/${endpointId}/deliveries`)).body,
      ).toHaveLength(deliveriesBefore)

      await settings.getByLabel(/^Enabled/).check()
      await settings.getByRole('button', { name: 'Save endpoint' }).click()
      await expect.poll(() => settings.getByText('Saved', { exact: true }).isVisible()).toBe(true)
      expect((await bapi('GET', `/v1/webhooks/endpoints/${endpointId}`)).body.enabled).toBe(true)
      // A minute before, in the browser's time zone (the input is the browser's local time).
      const since = await page.evaluate((ms) => {
        const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
        return d.toISOString().slice(0, 16)
      }, before - 60_000)
      const card = page.getByRole('region', { name: 'Test and replay' })
      await card.getByLabel('Replay everything since').fill(since)
      await card.getByRole('button', { name: 'Replay events' }).click()
      const dialog = page.getByRole('dialog', { name: /Replay every event since/ })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('button', { name: 'Replay events' }).click()
      await expect.poll(() => card.textContent()).toMatch(/\d+ events? queued again\./)
      await receiver.waitFor((got) =>
        got.some((r) => {
          const e = JSON.parse(r.body) as Envelope
          return e.type === 'user.created' && e.data.id === grace.id
        }),
      )
      const missed = receiver.received.find(
        (r) => (JSON.parse(r.body) as Envelope).data.id === grace.id,
      ) as Received
      expect(verified(rotated, missed)).toMatchObject({ type: 'user.created' })
    })

    it('replays one message: it arrives again with the same svix-id', async () => {
      await drained()
      const copies = () => receiver.received.filter((r) => r.id === adaEventId)
      const had = copies().length
      await page.getByRole('button', { name: 'Refresh' }).click()
      const replay = page.getByRole('button', { name: `Replay user.created ${adaEventId}` }).first()
      await replay.click()
      await expect
        .poll(() => page.getByText(`user.created ${adaEventId} queued again.`).isVisible())
        .toBe(true)
      await receiver.waitFor(() => copies().length === had + 1)
      const again = copies().at(-1) as Received
      expect(again.id).toBe(adaEventId)
      expect(verified(rotated, again)).toMatchObject({ type: 'user.created' })
      expect(again.body).toBe((copies()[0] as Received).body)
    })

    it('deletes after confirming: back to the list, and the API 404s', async () => {
      await page.getByRole('button', { name: 'Delete endpoint' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete this endpoint?' })
      await expect.poll(() => dialog.isVisible()).toBe(true)
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      expect((await bapi('GET', `/v1/webhooks/endpoints/${endpointId}`)).status).toBe(200)
      await page.getByRole('button', { name: 'Delete endpoint' }).click()
      await dialog.getByRole('button', { name: 'Delete endpoint' }).click()
      await expect.poll(() => heading('Webhooks').isVisible()).toBe(true)
      expect(new URL(page.url()).pathname).toBe('/dashboard/webhooks')
      await expect.poll(() => page.getByText('No webhook endpoints yet.').isVisible()).toBe(true)
      const gone = await bapi('GET', `/v1/webhooks/endpoints/${endpointId}`)
      expect(gone.status).toBe(404)
      expect(gone.body.errors[0].code).toBe('resource_not_found')
    })
  })

  describe.each(DIALECTS)('%s, on a server that refuses private addresses', (dialect) => {
    let server: TestServer
    let context: BrowserContext
    let page: Page
    const post = async (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      })
    const endpoints = async () =>
      (
        await fetch(`${server.url}/v1/webhooks/endpoints`, {
          headers: { authorization: `Bearer ${server.secretKey}` },
        })
      ).json()

    beforeAll(async () => {
      server = await createTestServer(dialect, { env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'off' } })
      ;({ context, page } = await signedIn(browser, server, '/dashboard/webhooks', 'Webhooks'))
    })
    afterAll(async () => {
      await context?.close()
      await server?.close()
    })

    it('refuses a loopback URL at creation and a metadata address on edit, in the API’s words', async () => {
      const loopback = 'http://127.0.0.1:9/webhooks'
      const form = page.getByRole('region', { name: 'Add endpoint' })
      await form.getByLabel('Endpoint URL').fill(loopback)
      await form.getByRole('button', { name: 'Add endpoint' }).click()
      // What the API says to any caller, word for word.
      const refusal = await post('/v1/webhooks/endpoints', { url: loopback })
      expect(refusal.status).toBe(422)
      const said = (await refusal.json()).errors[0].long_message as string
      expect(said).toMatch(/loopback, private.*LATCHKEY_OUTBOUND_ALLOW_PRIVATE/)
      await expect.poll(() => form.getByRole('alert').textContent()).toBe(said)
      expect(await endpoints()).toEqual([])

      // A public address is accepted (disabled: nothing is sent to it); an edit to the cloud
      // metadata address is refused and changes nothing.
      const made = await post('/v1/webhooks/endpoints', {
        url: 'https://93.184.215.14/hooks',
        enabled: false,
      })
      expect(made.status).toBe(200)
      const { id } = await made.json()
      await page.goto(`${server.url}/dashboard/webhooks/${id}`)
      await page.getByRole('heading', { level: 1, name: 'Webhook endpoint' }).waitFor()
      const settings = page.getByRole('region', { name: 'Settings' })
      await settings.getByLabel('Endpoint URL').fill('http://169.254.169.254/latest/meta-data')
      await settings.getByRole('button', { name: 'Save endpoint' }).click()
      await expect
        .poll(() => settings.getByRole('alert').textContent())
        .toMatch(/^url 169\.254\.169\.254 is a loopback, private, link-local or reserved address/)
      const [kept] = await endpoints()
      expect(kept.url).toBe('https://93.184.215.14/hooks')
      expect(await seriousAxeViolations(page)).toEqual([])
    })
  })
})
