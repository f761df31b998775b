import { createPublicKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
