import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config/load-config.js'
import { fetchIdpMetadata } from '../src/enterprise-sso/idp-metadata-fetch.js'
import { fetchJson } from './helpers/browser-client.js'
import { SamlIdp } from './helpers/saml-idp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** A server on `host` whose every answer `handle` writes. */
async function httpServer(
  host: string,
  handle: Parameters<typeof createServer>[1] & object,
): Promise<{ server: Server; base: string }> {
  const server = createServer(handle)
  await new Promise<void>((ok) => server.listen(0, host, ok))
  const { port } = server.address() as AddressInfo
  return { server, base: `http://${host.includes(':') ? `[${host}]` : host}:${port}` }
}

describe('LATCHKEY_OUTBOUND_ALLOW_PRIVATE', () => {
  it('is read, as is its former name; a bad value or two different ones stop the boot', () => {
    expect(loadConfig({ LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'on' }).outboundAllowPrivate).toBe('all')
    expect(
      loadConfig({ LATCHKEY_OUTBOUND_ALLOW_PRIVATE: '10.0.5.0/24' }).outboundAllowPrivate,
    ).toEqual(['10.0.5.0/24'])
    expect(loadConfig({ LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'on' }).outboundAllowPrivate).toBe('all')
    expect(() => loadConfig({ LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'maybe' })).toThrow(
      /LATCHKEY_OUTBOUND_ALLOW_PRIVATE/,
    )
    expect(() =>
      loadConfig({ LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'on', LATCHKEY_WEBHOOK_ALLOW_PRIVATE: 'off' }),
    ).toThrow(ConfigError)
  })
})

describe('reading IdP metadata', () => {
  it('gives up on an IdP that does not answer in time, and on an endless redirect', async () => {
    const hang = await httpServer('127.0.0.1', () => {})
    const loop = await httpServer('127.0.0.1', (req, res) => {
      res.writeHead(302, { location: `${req.url}x` }).end()
    })
    try {
      const limits = { timeoutMs: 300, maxBytes: 1000, maxRedirects: 3 }
      const started = Date.now()
      await expect(fetchIdpMetadata(new URL(hang.base), 'all', limits)).rejects.toThrow(/in time/)
      expect(Date.now() - started).toBeLessThan(2000)
      // The redirect limit, not the clock: a loaded machine may take longer than 300 ms for it.
      await expect(
        fetchIdpMetadata(new URL(`${loop.base}/`), 'all', { ...limits, timeoutMs: 20_000 }),
      ).rejects.toThrow(/more than 3 redirects/)
    } finally {
      hang.server.closeAllConnections()
      hang.server.close()
      loop.server.close()
    }
  })
})

// Issue "idp_metadata_url without an SSRF policy": the Backend API fetched any https URL, or
// http on loopback, that a secret-key holder named, redirects and all. Now the address policy
// of webhooks applies to every hop, with a timeout and a size cap.
describe.each(DIALECTS)('idp_metadata_url and private addresses (%s)', (dialect) => {
  let strict: TestServer
  let allowing: TestServer
  let idp: SamlIdp
  const extras: Server[] = []
  let redirector = ''
  let huge = ''

  beforeAll(async () => {
    strict = await createTestServer(dialect, { env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'off' } })
    allowing = await createTestServer(dialect, {
      env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: '127.0.0.1' },
    })
    idp = await SamlIdp.start()
    const r = await httpServer('127.0.0.1', (req, res) => {
      const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? ''
      res.writeHead(302, { location: to }).end()
    })
    extras.push(r.server)
    redirector = r.base
    const h = await httpServer('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' })
      const chunk = Buffer.alloc(64 * 1024, 'a')
      for (let i = 0; i < 40; i++) res.write(chunk)
      res.end()
    })
    extras.push(h.server)
    huge = h.base
  })
  afterAll(async () => {
    for (const s of extras) s.close()
    await idp?.close()
    await allowing?.close()
    await strict?.close()
  })

  let n = 0
  const create = (server: TestServer, url: string) =>
    fetchJson(`${server.url}/v1/saml_connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Metadata by URL',
        provider: 'saml_custom',
        domain: `meta-${dialect}-${++n}.test`,
        idp_metadata_url: url,
      }),
    })
  const count = async (server: TestServer) =>
    (
      await fetchJson(`${server.url}/v1/saml_connections`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
    ).json.data.length as number
  const refused = (r: Awaited<ReturnType<typeof create>>, why: RegExp) => {
    expect(r.status, JSON.stringify(r.json)).toBe(422)
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_param_value_invalid',
      meta: { param_name: 'idp_metadata_url' },
      long_message: expect.stringMatching(why),
    })
  }

  it('refuses loopback and link-local metadata URLs by default, changing nothing', async () => {
    const before = await count(strict)
    const metadata = idp.entityId
    refused(await create(strict, metadata), /loopback, private.*LATCHKEY_OUTBOUND_ALLOW_PRIVATE/)
    const byName = metadata.replace('127.0.0.1', 'localhost')
    refused(await create(strict, byName), /loopback, private/)
    refused(await create(strict, 'https://169.254.169.254/latest/meta-data'), /loopback, private/)
    expect(await count(strict)).toBe(before)
  })

  it('reads it where the operator allows, directly or through an allowed redirect', async () => {
    const direct = await create(allowing, idp.entityId)
    expect(direct.status, JSON.stringify(direct.json)).toBe(200)
    expect(direct.json).toMatchObject({ idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl })
    const via = await create(allowing, `${redirector}/?to=${encodeURIComponent(idp.entityId)}`)
    expect(via.status, JSON.stringify(via.json)).toBe(200)
    expect(via.json.idp_entity_id).toBe(idp.entityId)
  })

  it('a redirect cannot reach an address the policy refuses, nor leave https', async () => {
    const before = await count(allowing)
    const v6 = idp.entityId.replace('127.0.0.1', '[::1]')
    refused(
      await create(allowing, `${redirector}/?to=${encodeURIComponent(v6)}`),
      /::1 is a loopback, private/,
    )
    refused(
      await create(allowing, `${redirector}/?to=${encodeURIComponent('http://169.254.169.254/')}`),
      /https/,
    )
    refused(
      await create(strict, `${redirector}/?to=${encodeURIComponent(idp.entityId)}`),
      /loopback, private/,
    )
    expect(await count(allowing)).toBe(before)
  })

  it('refuses a document over 1 MB', async () => {
    refused(await create(allowing, `${huge}/metadata`), /larger than 1000000 bytes/)
  })
})
