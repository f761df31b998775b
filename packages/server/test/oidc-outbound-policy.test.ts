import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { discover } from '../src/external-accounts/providers/provider.js'
import { fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/**
 * Issue #18: an OIDC discovery URL (enterprise connections) or issuer (custom providers) is
 * chosen by the Backend API caller, and the endpoints in the discovery document by whoever
 * serves it; every request goes through the outbound address policy
 * (LATCHKEY_OUTBOUND_ALLOW_PRIVATE), with one answer for any failed discovery (no oracle).
 */

/** A minimal discovery document at `host`, its token and userinfo endpoints at `api`. */
function fakeIdp(host: string, api: () => string, hits: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    hits.push(`${host} ${req.method} ${req.url}`)
    const origin = `http://${host}:${(server.address() as AddressInfo).port}`
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        issuer: origin,
        authorization_endpoint: `${origin}/auth`,
        token_endpoint: `${api()}/token`,
        userinfo_endpoint: `${api()}/userinfo`,
        jwks_uri: `${api()}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    )
  })
  return new Promise((r) => server.listen(0, host, () => r(server)))
}

const origin = (s: Server, host: string) => `http://${host}:${(s.address() as AddressInfo).port}`

describe.each(DIALECTS)(
  'OIDC discovery and endpoints under the outbound policy (%s)',
  (dialect) => {
    let strict: TestServer
    let allowing: TestServer
    const hits: string[] = []
    let idp: Server // on 127.0.0.1, its API endpoints on 127.0.0.2
    let api: Server // 127.0.0.2: another loopback address, not in a list naming 127.0.0.1
    beforeAll(async () => {
      strict = await createTestServer(dialect, { env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'off' } })
      allowing = await createTestServer(dialect, { env: { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'on' } })
      api = await fakeIdp('127.0.0.2', () => origin(api, '127.0.0.2'), hits)
      idp = await fakeIdp('127.0.0.1', () => origin(api, '127.0.0.2'), hits)
    })
    afterAll(async () => {
      idp?.close()
      api?.close()
      await strict?.close()
      await allowing?.close()
    })

    const bapi = (s: TestServer, method: string, path: string, body?: unknown) =>
      fetchJson(`${s.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${s.secretKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    const enterprise = (discoveryUrl: string, domain: string) => ({
      name: 'x',
      provider: 'oidc_custom',
      domains: [domain],
      oidc: { discovery_url: discoveryUrl, client_id: 'a', client_secret: 'b' },
    })

    it('the default policy refuses loopback and private discovery with one generic 422, nothing stored', async () => {
      hits.length = 0
      const closed = 'http://127.0.0.1:1'
      const messages = new Set<string>()
      for (const url of [
        origin(idp, '127.0.0.1'),
        closed,
        'https://169.254.169.254',
        'https://10.1.2.3',
      ]) {
        const made = await bapi(
          strict,
          'POST',
          '/v1/enterprise_connections',
          enterprise(url, `a-${dialect}.test`),
        )
        expect(made.status, JSON.stringify(made.json)).toBe(422)
        expect(made.json.errors[0].code).toBe('form_param_value_invalid')
        expect(made.json.errors[0].meta.param_name).toBe('oidc.discovery_url')
        messages.add(made.json.errors[0].long_message)
        const social = await bapi(strict, 'POST', '/v1/oauth_connections', {
          provider: 'custom_probe',
          issuer: url,
          client_id: 'a',
          client_secret: 'b',
        })
        expect(social.status, JSON.stringify(social.json)).toBe(422)
        expect(social.json.errors[0].meta.param_name).toBe('issuer')
        messages.add(social.json.errors[0].long_message)
      }
      // Refused, closed port and unreachable answer alike: no port-scan oracle.
      expect([...messages]).toEqual([[...messages][0]])
      expect([...messages][0]).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|loopback|private/)
      expect(hits).toEqual([])
      const listed = await bapi(strict, 'GET', '/v1/enterprise_connections')
      expect(JSON.stringify(listed.json)).not.toContain(`a-${dialect}.test`)
      const socials = await bapi(strict, 'GET', '/v1/oauth_connections')
      expect(JSON.stringify(socials.json)).not.toContain('custom_probe')
    })

    it('a policy allowing private addresses reads the same discovery document', async () => {
      hits.length = 0
      const made = await bapi(
        allowing,
        'POST',
        '/v1/enterprise_connections',
        enterprise(origin(idp, '127.0.0.1'), `b-${dialect}.test`),
      )
      expect(made.status, JSON.stringify(made.json)).toBe(200)
      expect(hits).toContain('127.0.0.1 GET /.well-known/openid-configuration')
    })

    it('a discovered token or userinfo endpoint at an address the policy refuses is refused at use', async () => {
      hits.length = 0
      const settings = {
        issuer: origin(idp, '127.0.0.1'),
        clientId: 'a',
        secret: 'b',
        teamId: null,
        keyId: null,
        endpointBaseUrl: null,
        now: () => Date.now(),
        policy: ['127.0.0.1'],
      }
      const config = await discover(settings)
      expect(hits).toEqual(['127.0.0.1 GET /.well-known/openid-configuration'])
      await expect(oidc.refreshTokenGrant(config, 'r')).rejects.toThrow()
      await expect(oidc.fetchUserInfo(config, 'at', oidc.skipSubjectCheck)).rejects.toThrow()
      expect(hits).toEqual(['127.0.0.1 GET /.well-known/openid-configuration'])
      // The same document with the API's address allowed: the request reaches it.
      const open = await discover({ ...settings, policy: ['127.0.0.1', '127.0.0.2'] })
      await oidc.fetchUserInfo(open, 'at', oidc.skipSubjectCheck).catch(() => undefined)
      expect(hits).toContain('127.0.0.2 GET /userinfo')
    })

    it('plain http to a public address is refused whatever the policy', async () => {
      const fetchOnce = (
        await import('../src/external-accounts/providers/checked-fetch.js')
      ).checkedFetch('all')
      await expect(
        fetchOnce('http://93.184.215.14/.well-known/openid-configuration', {
          body: undefined,
          headers: {},
          method: 'GET',
          redirect: 'manual',
        }),
      ).rejects.toThrow(/plain http to a public address/)
    })
  },
)
