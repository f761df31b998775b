import { createHash } from 'node:crypto'
import { createClerkClient } from '@clerk/backend'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  apiSecurityHeaders,
  isJsonContentType,
  securityHeaders,
} from '../src/http/security-headers.js'
import { BrowserAgent } from './helpers/browser-agent.js'
import { authorize, bapi, basic, CALLBACK } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const ADA = { email: 'ada@example.com', password: 'analytical engine 1843' }

/**
 * Security issue, items 4 and 5: what oidc-provider serves carries the server's security headers
 * (`reply.hijack()` skipped them; Helmet's document set, as it serves pages too), token responses are not cacheable (RFC 6749 §5.1), and the
 * discovery documents advertise only endpoints that exist.
 */
describe.each(DIALECTS)('responses of the OAuth provider (%s)', (dialect) => {
  let server: TestServer
  let app: { clientId: string; clientSecret: string }

  beforeAll(async () => {
    server = await createTestServer(dialect)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    await clerk.users.createUser({ emailAddress: [ADA.email], password: ADA.password })
    const created = await clerk.oauthApplications.create({
      name: 'Headers',
      redirectUris: [CALLBACK],
      scopes: 'profile email',
    })
    app = {
      clientId: created.clientId,
      clientSecret: (created as unknown as { clientSecret: string }).clientSecret,
    }
  })
  afterAll(() => server.close())

  /**
   * The headers every other response of this server carries (Helmet's, computed at boot); what
   * oidc-provider serves has a stricter CSP of its own.
   */
  function expectSecurityHeaders(res: Response, what: string, served = 'by oidc-provider') {
    // Latchkey's own JSON answers carry the API set; everything else Helmet's document set.
    const api = served === 'by Latchkey' && isJsonContentType(res.headers.get('content-type'))
    const expected = api ? apiSecurityHeaders(false) : securityHeaders(false)
    for (const [name, value] of Object.entries(expected)) {
      if (name === 'content-security-policy' && served === 'by oidc-provider') continue
      expect(res.headers.get(name), `${what}: ${name}`).toBe(value)
    }
    if (served === 'by oidc-provider') {
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, what).toContain("default-src 'none'")
      expect(csp, what).toContain("frame-ancestors 'none'")
    }
    expect(res.headers.get('x-trace-id'), what).toEqual(expect.any(String))
  }

  const form = (body: Record<string, string>, auth?: string) => ({
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(body).toString(),
  })

  async function code(extra: Record<string, string> = {}) {
    const verifier = oauth.generateRandomCodeVerifier()
    const url = `${server.url}/oauth/authorize?${new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid profile',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'st',
      ...extra,
    })}`
    return { page: await authorize(new BrowserAgent(server.url), url, ADA), verifier }
  }

  it('discovery, JWKS, token, introspection and authorize errors carry them; token responses are no-store', async () => {
    for (const path of [
      '/oauth/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/oauth',
      '/.well-known/openid-configuration/oauth',
      '/oauth/jwks',
    ]) {
      const res = await fetch(`${server.url}${path}`)
      expect(res.status, path).toBe(200)
      expectSecurityHeaders(res, path)
    }

    const { page, verifier } = await code()
    const granted = new URL(page.url).searchParams.get('code') as string
    const auth = basic(app.clientId, app.clientSecret)
    const token = await fetch(
      `${server.url}/oauth/token`,
      form(
        {
          grant_type: 'authorization_code',
          code: granted,
          redirect_uri: CALLBACK,
          code_verifier: verifier,
        },
        auth,
      ),
    )
    expect(token.status).toBe(200)
    expectSecurityHeaders(token, 'token')
    expect(token.headers.get('cache-control')).toBe('no-store')
    const { access_token } = (await token.json()) as { access_token: string }

    const refused = await fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: 'authorization_code', code: granted }, basic(app.clientId, 'wrong')),
    )
    expect(refused.status).toBe(401)
    expectSecurityHeaders(refused, 'token error')
    expect(refused.headers.get('cache-control')).toBe('no-store')

    const introspection = await fetch(
      `${server.url}/oauth/token_info`,
      form({ token: access_token }, auth),
    )
    expect(introspection.status).toBe(200)
    expectSecurityHeaders(introspection, 'introspection')
    expect(introspection.headers.get('cache-control')).toBe('no-store')

    const userinfo = await fetch(`${server.url}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    expect(userinfo.status).toBe(200)
    expectSecurityHeaders(userinfo, 'userinfo', 'by Latchkey')
    expect(userinfo.headers.get('cache-control')).toBe('no-store')

    // An error shown on Latchkey (unknown client) and one redirected to the client (bad scope).
    const shown = await fetch(
      `${server.url}/oauth/authorize?client_id=nobody&response_type=code&redirect_uri=${encodeURIComponent(CALLBACK)}`,
      { redirect: 'manual' },
    )
    expect(shown.status).toBe(400)
    expect(shown.headers.get('content-type')).toMatch(/^text\/html/)
    expectSecurityHeaders(shown, 'authorize error page')
    const redirected = await fetch(
      `${server.url}/oauth/authorize?${new URLSearchParams({
        client_id: app.clientId,
        response_type: 'code',
        redirect_uri: CALLBACK,
        scope: 'openid public_metadata',
        state: 'st',
      })}`,
      { redirect: 'manual' },
    )
    expect(redirected.status).toBe(303)
    expect(new URL(redirected.headers.get('location') as string).searchParams.get('error')).toBe(
      'invalid_scope',
    )
    expectSecurityHeaders(redirected, 'authorize error redirect')
  })

  it('form_post keeps working under the CSP: its inline script is allowed by hash, its form may post to the client', async () => {
    const { page } = await code({ response_mode: 'form_post' })
    expect(page.status).toBe(200)
    expect(page.html).toContain(`action="${CALLBACK}"`)
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.html)?.[1] as string
    const digest = createHash('sha256').update(script).digest('base64')
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toMatch(new RegExp(`script-src [^;]*'sha256-${digest.replace(/[+/]/g, '\\$&')}'`))
    expect(csp).not.toContain('form-action')
  })

  it('every endpoint URL in both discovery documents answers something other than 404', async () => {
    await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
      dynamic_oauth_client_registration: true,
    })
    try {
      const GETS = new Set(['authorization_endpoint', 'userinfo_endpoint', 'jwks_uri'])
      const seen = new Set<string>()
      for (const doc of [
        '/.well-known/openid-configuration',
        '/oauth/.well-known/openid-configuration',
        '/.well-known/oauth-authorization-server/oauth',
      ]) {
        const res = await fetch(`${server.url}${doc}`)
        expect(res.status, doc).toBe(200)
        const json = (await res.json()) as Record<string, unknown>
        for (const [field, url] of Object.entries(json)) {
          if (!/(_endpoint|_uri)$/.test(field) || typeof url !== 'string') continue
          seen.add(field)
          const answer = await fetch(url, {
            method: GETS.has(field) ? 'GET' : 'POST',
            redirect: 'manual',
            ...(GETS.has(field)
              ? {}
              : { headers: { 'content-type': 'application/json' }, body: '{}' }),
          })
          expect(answer.status, `${doc}: ${field} ${url}`).not.toBe(404)
        }
      }
      expect([...seen]).toEqual(
        expect.arrayContaining([
          'authorization_endpoint',
          'token_endpoint',
          'userinfo_endpoint',
          'introspection_endpoint',
          'revocation_endpoint',
          'registration_endpoint',
          'jwks_uri',
        ]),
      )
    } finally {
      await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
        dynamic_oauth_client_registration: false,
      })
    }
  })
})
