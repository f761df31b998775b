import { decodePublishableKey } from '@latchkey/contracts'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { readmeSnippetFor, runReadmeShell } from './helpers/readme.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:5173'
const PASSWORD = 'integrations all the way'

describe.each(DIALECTS)('integrations, as their guides describe (%s)', (dialect) => {
  let server: TestServer
  let browser: BrowserClient
  let sid: string
  let userId: string

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    browser = new BrowserClient(server.url, APP)
    // An operator-created user: its address is verified (a signed-up one is not, see
    // email-ownership.test.ts), so the guides' positive paths are shown here.
    const created = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email_address: ['ivy@example.com'],
        password: PASSWORD,
        first_name: 'Ivy',
        last_name: 'Ng',
        username: 'ivy',
      }),
    })
    expect(created.status).toBe(200)
    sid = await browser.signIn('ivy@example.com', PASSWORD)
    userId = (await browser.get('/v1/client')).json.response.sessions[0].user.id
  })
  afterAll(() => server.close())

  it("Convex: discovery, issuer == iss, JWKS from jwks_uri, kid/alg/typ, single aud 'convex', exp, boolean email_verified", async () => {
    const [created] = await runReadmeShell(
      readmeSnippetFor('convex-create', server.url),
      server.secretKey,
    )
    expect(JSON.parse(created ?? '{}')).toMatchObject({ object: 'jwt_template', name: 'convex' })
    const config = readmeSnippetFor('convex-auth-config', server.url)
    const domain = /domain:\s*'([^']+)'/.exec(config)?.[1]
    const applicationID = /applicationID:\s*'([^']+)'/.exec(config)?.[1]
    expect(domain).toBe(server.url)
    expect(applicationID).toBe('convex')

    // 1. Discovery, as Convex fetches it.
    const discovery = (
      await fetchJson(`${domain!.replace(/\/$/, '')}/.well-known/openid-configuration`)
    ).json
    for (const field of [
      'issuer',
      'authorization_endpoint',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
      'id_token_signing_alg_values_supported',
    ]) {
      expect(discovery, field).toHaveProperty(field)
    }
    expect(discovery.id_token_signing_alg_values_supported).toContain('RS256')
    // 2. The token from getToken({ template: 'convex' }).
    const minted = await browser.post(`/v1/client/sessions/${sid}/tokens/convex`)
    expect(minted.status).toBe(200)
    const jwt: string = minted.json.jwt
    // 3. Header.
    const header = decodeProtectedHeader(jwt)
    expect(header.kid).toEqual(expect.any(String))
    expect(header.alg).toBe('RS256')
    expect(header.typ).toBe('JWT')
    // 4. Signature against jwks_uri; iss equals the discovered issuer, which equals the domain.
    const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: discovery.issuer,
      algorithms: ['RS256'],
    })
    expect(discovery.issuer.replace(/\/$/, '')).toBe(domain!.replace(/\/$/, ''))
    // 5. A single audience equal to the applicationID, and an expiry.
    expect(payload.aud).toBe(applicationID)
    expect(typeof payload.exp).toBe('number')
    // 6. Claims keep JSON types.
    expect(payload.email_verified).toBe(true)
    expect(payload.phone_number_verified).toBe(false)
    expect(payload).toMatchObject({
      sub: userId,
      email: 'ivy@example.com',
      name: 'Ivy Ng',
      given_name: 'Ivy',
      family_name: 'Ng',
      nickname: 'ivy',
    })
    expect(typeof payload.updated_at).toBe('number')
  })

  it('InstantDB: host from the publishable key, discovery, verify, email with email_verified === true', async () => {
    const [set] = await runReadmeShell(
      readmeSnippetFor('instantdb-claims', server.url),
      server.secretKey,
    )
    expect(JSON.parse(set ?? '{}')).toMatchObject({ object: 'session_token_settings' })
    const host = decodePublishableKey(server.publishableKey)
    expect(host).toBe(new URL(server.url).host)
    // InstantDB uses https://{host}; the test server speaks http.
    const discovery = (await fetchJson(`http://${host}/.well-known/openid-configuration`)).json
    const token = await browser.token(sid) // session.getToken(), no template
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(discovery.jwks_uri)),
      {
        issuer: discovery.issuer,
      },
    )
    expect(discovery.id_token_signing_alg_values_supported).toContain(protectedHeader.alg)
    expect(payload.sub).toBe(userId)
    expect(payload.email).toBe('ivy@example.com')
    expect(payload.email_verified).toBe(true)
  })

  it('Nylas Connect: the user id is the sub of the base64-decoded payload', async () => {
    const token = await browser.token(sid)
    const [, payloadPart] = token.split('.')
    const payload = JSON.parse(
      Buffer.from(payloadPart!.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'),
    )
    expect(payload.sub).toBe(userId)
    // And the same token verifies against the JWKS URL Nylas is given.
    await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)))
  })
})
