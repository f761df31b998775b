import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { verifyToken as clerkVerifyToken, createClerkClient } from '@clerk/backend'
import { verifyToken as latchkeyVerifyToken } from '@latchkey/backend'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { CALLBACK, codeFlow, relyingParty, type Tokens } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const ADA = { email: 'ada@example.com', password: 'analytical engine 1843' }

/**
 * Security issue, item 1: an OAuth ID token handed to a third-party application must not pass as
 * the user's session token. ID tokens come from their own issuer (`{LATCHKEY_URL}/oauth`), signed
 * by their own key, published only in that issuer's JWKS.
 */
describe.each(DIALECTS)('an OAuth ID token is not a session token (%s)', (dialect) => {
  let server: TestServer
  let userId: string
  let app: { clientId: string; clientSecret: string; discoveryUrl: string }
  let tokens: Tokens
  let sessionToken: string

  beforeAll(async () => {
    server = await createTestServer(dialect)
    const clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    userId = (await clerk.users.createUser({ emailAddress: [ADA.email], password: ADA.password }))
      .id
    const created = await clerk.oauthApplications.create({
      name: 'Third Party',
      redirectUris: [CALLBACK],
      scopes: 'profile email',
    })
    app = {
      clientId: created.clientId,
      clientSecret: (created as unknown as { clientSecret: string }).clientSecret,
      discoveryUrl: created.discoveryUrl,
    }
    const config = await relyingParty(app.discoveryUrl, app.clientId, app.clientSecret)
    tokens = (await codeFlow(config, new BrowserAgent(server.url), ADA)).tokens
    // The control: a real session token of the same user, which every check below accepts.
    const browser = new BrowserClient(server.url, server.url)
    sessionToken = await browser.token(await browser.signIn(ADA.email, ADA.password))
  })
  afterAll(() => server.close())

  it('the Backend API names the /oauth issuer, and openid-client verifies its ID token', async () => {
    expect(app.discoveryUrl).toBe(`${server.url}/oauth/.well-known/openid-configuration`)
    const claims = tokens.claims()
    expect(claims).toMatchObject({ iss: `${server.url}/oauth`, aud: app.clientId, sub: userId })
    const doc = (await fetchJson(app.discoveryUrl)).json
    expect(doc).toMatchObject({
      issuer: `${server.url}/oauth`,
      authorization_endpoint: `${server.url}/oauth/authorize`,
      token_endpoint: `${server.url}/oauth/token`,
      userinfo_endpoint: `${server.url}/oauth/userinfo`,
      jwks_uri: `${server.url}/oauth/jwks`,
    })
    // Its own key, in its own JWKS, and in neither of the session-token key sets.
    const kid = decodeProtectedHeader(tokens.id_token as string).kid
    const oauthKeys = (await fetchJson(doc.jwks_uri)).json.keys.map((k: { kid: string }) => k.kid)
    const sessionKeys = (await fetchJson(`${server.url}/.well-known/jwks.json`)).json.keys.map(
      (k: { kid: string }) => k.kid,
    )
    const bapiKeys = (
      await fetchJson(`${server.url}/v1/jwks`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
    ).json.keys.map((k: { kid: string }) => k.kid)
    expect(oauthKeys).toEqual([kid])
    expect(sessionKeys).not.toContain(kid)
    expect(bapiKeys).not.toContain(kid)
    expect(sessionKeys).toEqual(bapiKeys)
  })

  it("@clerk/backend's verifyToken without authorizedParties refuses it (remote JWKS and jwtKey)", async () => {
    const remote = { secretKey: server.secretKey, apiUrl: server.url }
    expect((await clerkVerifyToken(sessionToken, remote)).sub).toBe(userId)
    await expect(clerkVerifyToken(tokens.id_token as string, remote)).rejects.toThrow()

    const jwk = (await fetchJson(`${server.url}/.well-known/jwks.json`)).json.keys[0]
    const jwtKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString()
    expect((await clerkVerifyToken(sessionToken, { jwtKey })).sub).toBe(userId)
    await expect(clerkVerifyToken(tokens.id_token as string, { jwtKey })).rejects.toThrow()
  })

  it('the InstantDB check refuses it: root discovery → jwks_uri → jwtVerify with the issuer', async () => {
    const instantDb = async (token: string) => {
      const doc = (await fetchJson(`${server.url}/.well-known/openid-configuration`)).json
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(doc.jwks_uri)), {
        issuer: doc.issuer,
        algorithms: doc.id_token_signing_alg_values_supported,
      })
      if (!payload.sub) throw new Error('no sub')
      return payload
    }
    expect((await instantDb(sessionToken)).sub).toBe(userId)
    await expect(instantDb(tokens.id_token as string)).rejects.toThrow()
  })

  it("@latchkey/backend's verifyToken refuses it (Backend API keys and JWKS URL)", async () => {
    for (const source of [
      { secretKey: server.secretKey, apiUrl: server.url },
      { jwksUrl: `${server.url}/.well-known/jwks.json` },
    ]) {
      expect((await latchkeyVerifyToken(sessionToken, source)).sub).toBe(userId)
      await expect(latchkeyVerifyToken(tokens.id_token as string, source)).rejects.toThrow()
    }
  })

  it('the root discovery is the session-token issuer only: an OIDC client configured with it gets no ID token', async () => {
    const root = (await fetchJson(`${server.url}/.well-known/openid-configuration`)).json
    // What Convex requires of it (DESIGN.md §1), and nothing that runs an OAuth flow to the end.
    expect(root).toEqual({
      issuer: server.url,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      authorization_endpoint: `${server.url}/oauth/authorize`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
    const config = await client.discovery(
      new URL(server.url),
      app.clientId,
      app.clientSecret,
      undefined,
      { execute: [client.allowInsecureRequests] },
    )
    await expect(codeFlow(config, new BrowserAgent(server.url), ADA)).rejects.toThrow()
  })

  it('RFC 8414 metadata of the /oauth issuer is at the path-inserted well-known URL', async () => {
    const issuer = new URL(`${server.url}/oauth`)
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, {
        algorithm: 'oauth2',
        [oauth.allowInsecureRequests]: true,
      }),
    )
    expect(as.issuer).toBe(issuer.href)
    const oidc = (await fetchJson(`${server.url}/oauth/.well-known/openid-configuration`)).json
    expect(as).toEqual(oidc)
    // Some clients append the well-known suffix after the path: the same document.
    const appended = await fetchJson(`${server.url}/.well-known/openid-configuration/oauth`)
    expect(appended.json).toEqual(oidc)
  })
})
