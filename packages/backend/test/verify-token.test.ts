import { createPublicKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Json } from '../../server/test/helpers/browser-client.js'
import { BrowserClient } from '../../server/test/helpers/browser-client.js'
import {
  createTestServer,
  DIALECTS,
  type TestServer,
} from '../../server/test/helpers/test-server.js'
import { TokenVerificationError, verifyToken } from '../src/index.js'

const APP = 'http://localhost:5173'

describe.each(DIALECTS)('@latchkey/backend verifyToken (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sid: string
  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    sid = await browser.signUp('verify@example.com', 'verify me please 1')
  })
  afterAll(() => server.close())

  const reason = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(e).toBeInstanceOf(TokenVerificationError)
    return (e as TokenVerificationError).reason
  }

  it('verifies with a JWKS URL, the Backend API, or a PEM, and checks azp, iss and aud', async () => {
    const token = await browser.token(sid)
    const jwksUrl = `${server.url}/.well-known/jwks.json`
    expect(
      (await verifyToken(token, { jwksUrl, authorizedParties: [APP], issuer: server.url })).sid,
    ).toBe(sid)
    expect(
      (await verifyToken(token, { apiUrl: server.url, secretKey: server.secretKey })).sid,
    ).toBe(sid)
    const pem = createPublicKey({
      key: server.services.keys.jwks().keys[0] as import('node:crypto').JsonWebKey,
      format: 'jwk',
    })
      .export({ type: 'spki', format: 'pem' })
      .toString()
    expect((await verifyToken(token, { jwtKey: pem })).sub).toMatch(/^user_/)

    expect(
      await reason(verifyToken(token, { jwksUrl, authorizedParties: ['https://other.example'] })),
    ).toBe('token-invalid-authorized-parties')
    expect(await reason(verifyToken(token, { jwksUrl, issuer: 'https://not-us.example' }))).toBe(
      'token-invalid-issuer',
    )
    expect(await reason(verifyToken(token, { jwksUrl, audience: 'convex' }))).toBe(
      'token-invalid-audience',
    )
    expect(
      await reason(verifyToken(token, { jwksUrl, currentDate: new Date(Date.now() + 120_000) })),
    ).toBe('token-expired')
    const [h, p, s] = token.split('.')
    expect(await reason(verifyToken(`${h}.${p}.${s?.slice(0, -4)}AAAA`, { jwksUrl }))).toBe(
      'token-invalid-signature',
    )
    for (const malformed of [
      'not.a.jwt',
      '',
      'a.b',
      `${h}..${s}`,
      `.${p}.${s}`,
      `${h}.${p}.`,
      `${token}.x`,
    ])
      expect(await reason(verifyToken(malformed, { jwksUrl }))).toBe('token-invalid')
    // One options object reused (the key set is found once for it), then changed in place.
    const reused: { jwksUrl: string } = { jwksUrl }
    expect((await verifyToken(token, reused)).sid).toBe(sid)
    expect((await verifyToken(token, reused)).sid).toBe(sid)
    reused.jwksUrl = `${server.url}/no-such-jwks.json`
    expect(await reason(verifyToken(token, reused))).toBe('jwk-failed-to-resolve')
    expect(
      await reason(
        verifyToken(token, { apiUrl: server.url, secretKey: 'sk_live_wrongwrongwrongwrong' }),
      ),
    ).toBe('jwk-failed-to-resolve')
  })

  // Issue #13 §2: only session tokens pass by default.
  it('refuses template tokens unless asked, an aud unless expected, and a missing azp when authorizedParties is set', async () => {
    const jwksUrl = `${server.url}/.well-known/jwks.json`
    const bapi = (path: string, method: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as Json }))
    expect((await bapi('/v1/jwt_templates/presets/convex', 'POST')).status).toBe(200)
    expect(
      (await bapi('/v1/jwt_templates', 'POST', { name: 'partner', claims: { r: 1 } })).status,
    ).toBe(200)
    const convex = (await browser.post(`/v1/client/sessions/${sid}/tokens/convex`)).json.jwt
    const partner = (await browser.post(`/v1/client/sessions/${sid}/tokens/partner`)).json.jwt

    // A template token carries no sid: not a session, whatever else it says.
    expect(await reason(verifyToken(convex, { jwksUrl }))).toBe('token-invalid')
    expect(await reason(verifyToken(partner, { jwksUrl, authorizedParties: [APP] }))).toBe(
      'token-invalid',
    )
    expect(
      await reason(verifyToken(convex, { jwksUrl, audience: 'convex', issuer: server.url })),
    ).toBe('token-invalid')
    // Asked for, a template token passes, its aud still checked.
    expect(await reason(verifyToken(convex, { jwksUrl, acceptTemplateTokens: true }))).toBe(
      'token-invalid-audience',
    )
    const claims = await verifyToken(convex, {
      jwksUrl,
      acceptTemplateTokens: true,
      audience: 'convex',
    })
    expect(claims).toMatchObject({ aud: 'convex', azp: APP })
    expect(claims.sid).toBeUndefined()
    expect((await verifyToken(partner, { jwksUrl, acceptTemplateTokens: true })).r).toBe(1)

    // A session token minted by the Backend API has no azp: refused when parties are named.
    const minted = await bapi(`/v1/sessions/${sid}/tokens`, 'POST')
    expect(minted.status).toBe(200)
    const noAzp = minted.json.jwt as string
    expect((await verifyToken(noAzp, { jwksUrl })).sid).toBe(sid)
    expect(await reason(verifyToken(noAzp, { jwksUrl, authorizedParties: [APP] }))).toBe(
      'token-invalid-authorized-parties',
    )
  })
})
