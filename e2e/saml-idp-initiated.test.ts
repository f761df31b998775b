import { createServer, type Server } from 'node:http'
import { createClerkClient } from '@clerk/backend'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SamlIdp } from '../packages/server/test/helpers/saml-idp.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../packages/server/test/helpers/test-server.js'
import { freePort, HAVE_CHROMIUM, launchChromium } from './helpers/browser.js'

/**
 * Issue #18 item 4 in Chromium: a sign-in started at the IdP. The IdP's page (on `localhost`,
 * another site than Latchkey's 127.0.0.1) auto-posts an unsolicited signed response to the ACS;
 * what the browser does with that cross-site POST decides whether the hand-over works: it must
 * keep the binding cookie set on the 303, and send it with the client's `SameSite=Lax`
 * `__client` cookie on the redirected top-level GET.
 */
describe.skipIf(!HAVE_CHROMIUM).each(DIALECTS)('IdP-initiated SAML in Chromium (%s)', (dialect) => {
  let server: TestServer
  let idp: SamlIdp
  let page: Server
  let pageUrl = ''
  let browser: Browser
  let acsUrl = ''
  let spEntityId = ''
  let nextEmail = ''
  const domain = `chromium-idp-${dialect}.test`

  beforeAll(async () => {
    server = await createTestServer(dialect)
    idp = await SamlIdp.start()
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const made = await clerk.samlConnections.createSamlConnection({
      name: 'Acme',
      provider: 'saml_custom',
      domain,
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpCertificate: idp.cert,
    })
    await clerk.samlConnections.updateSamlConnection(made.id, { active: true })
    const r = await fetch(`${server.url}/v1/saml_connections/${made.id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${server.secretKey}`,
        'content-type': 'application/json',
      },
      body: '{"allow_idp_initiated":true}',
    })
    expect(r.status).toBe(200)
    acsUrl = made.acsUrl
    spEntityId = made.spEntityId
    // The IdP's dashboard tile: a page whose form posts itself to the ACS, as IdPs send it.
    const port = await freePort()
    pageUrl = `http://localhost:${port}/tile`
    page = createServer((_req, res) => {
      const SAMLResponse = idp.response({ email: nextEmail, acsUrl, audience: spEntityId })
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(
        `<!doctype html><body onload="document.forms[0].submit()"><form method="post" action="${acsUrl}"><input type="hidden" name="SAMLResponse" value="${SAMLResponse}"></form></body>`,
      )
    })
    await new Promise<void>((ok) => page.listen(port, '127.0.0.1', ok))
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((ok) => page?.close(ok))
    await idp?.close()
    await server?.close()
  })

  /** The landing: the server's root (after_sign_in_url), which leads to the operator dashboard. */
  const landed = (url: URL) =>
    url.origin === server.url && (url.pathname === '/' || url.pathname === '/dashboard/')

  /** `/v1/client` with the context's cookies (the landing page's CSP allows no fetch). */
  const clientOf = async (context: BrowserContext) =>
    (await (await context.request.get(`${server.url}/v1/client`)).json()).response as null | {
      id: string
      sessions: { user: { email_addresses: { email_address: string }[] } }[]
    }

  it('the tile signs a new user in, on the browser’s existing client', async () => {
    const context = await browser.newContext()
    const p = await context.newPage()
    // The browser already has a client (it started a sign-in at the app and left).
    const r = await context.request.post(`${server.url}/v1/client/sign_ins`, {
      form: {
        strategy: 'enterprise_sso',
        identifier: `someone@${domain}`,
        redirect_url: `${server.url}/`,
      },
    })
    expect(r.status()).toBe(200)
    const started = (await clientOf(context))?.id
    nextEmail = `tile-${dialect}@${domain}`
    await p.goto(pageUrl)
    await p.waitForURL(landed, { timeout: 20_000 })
    const client = await clientOf(context)
    expect(started).toMatch(/^client_/)
    expect(client?.id).toBe(started)
    expect(client?.sessions.map((s) => s.user.email_addresses[0]?.email_address)).toEqual([
      nextEmail,
    ])
    // The hand-over's binding cookie was sent and spent.
    const cookies = (await context.cookies(server.url)).map((c) => c.name)
    expect(cookies).toContain('__client')
    expect(cookies).not.toContain('latchkey_saml_handover')
    await context.close()
  }, 60_000)

  it('a fresh browser (no client yet) is signed in too; the same tile again is a new assertion', async () => {
    const context = await browser.newContext()
    const p = await context.newPage()
    await p.goto(pageUrl)
    await p.waitForURL(landed, { timeout: 20_000 })
    const client = await clientOf(context)
    expect(client?.sessions.map((s) => s.user.email_addresses[0]?.email_address)).toEqual([
      nextEmail,
    ])
    await context.close()
  }, 60_000)
})
