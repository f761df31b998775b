import { decodePublishableKey } from '@latchkey/contracts'
import { createDb, migrate } from '@latchkey/db'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { relyingParty } from './helpers/oauth-flow.js'
import { createTestServer, DIALECTS, TEST_PG_URL, type TestServer } from './helpers/test-server.js'

/*
 * Issue #13 §1: an address typed into a public form is not proved. Public sign-up used to store
 * it verified, so anyone could sign up as ceo@bigbank.example and be that person to InstantDB
 * (which links accounts by a token's email when email_verified is true), Convex and every OAuth
 * relying party. Only an operator (the Backend API) creates verified addresses.
 */

const APP = 'http://localhost:5173'
const PASSWORD = 'correct horse battery staple'
const CALLBACK = 'http://localhost:8787/callback'

function bapi(server: TestServer, path: string, method = 'GET', body?: unknown) {
  return fetchJson(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
}

/** What InstantDB does with a session token: discovery from the key's host, JWKS, iss, email. */
async function instantDbIdentity(server: TestServer, token: string) {
  const host = decodePublishableKey(server.publishableKey)
  const discovery = (await fetchJson(`http://${host}/.well-known/openid-configuration`)).json
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: discovery.issuer,
  })
  return {
    sub: payload.sub,
    emailVerified: payload.email_verified,
    email: payload.email_verified === true ? payload.email : undefined,
  }
}

describe.each(DIALECTS)('only an operator asserts email ownership (%s)', (dialect) => {
  let server: TestServer
  const browser = () => new BrowserClient(server.url, APP)

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    // The README's InstantDB claims and Convex's preset.
    const claims = await bapi(server, '/v1/instance/session_token', 'PATCH', {
      claims: {
        email: '{{user.primary_email_address}}',
        email_verified: '{{user.email_verified}}',
      },
    })
    expect(claims.status).toBe(200)
    expect((await bapi(server, '/v1/jwt_templates/presets/convex', 'POST')).status).toBe(200)
  })
  afterAll(() => server.close())

  it('a Frontend API sign-up stores the address unverified: resources, session token, convex token', async () => {
    const b = browser()
    const sid = await b.signUp('ceo@bigbank.example', PASSWORD)
    const fapiUser = (await b.get('/v1/client')).json.response.sessions[0].user
    expect(fapiUser.email_addresses[0]).toMatchObject({
      email_address: 'ceo@bigbank.example',
      verification: null,
    })
    const bapiUser = (await bapi(server, `/v1/users/${fapiUser.id}`)).json
    expect(bapiUser.email_addresses[0].verification).toBeNull()

    // The sign-up → token → InstantDB chain: the email is not kept, nobody proved it.
    const identity = await instantDbIdentity(server, await b.token(sid))
    expect(identity).toEqual({ sub: fapiUser.id, emailVerified: false, email: undefined })

    const convex = await b.post(`/v1/client/sessions/${sid}/tokens/convex`)
    expect(convex.status).toBe(200)
    const [, part] = (convex.json.jwt as string).split('.')
    const payload = JSON.parse(Buffer.from(part as string, 'base64url').toString('utf8'))
    expect(payload).toMatchObject({ email: 'ceo@bigbank.example', email_verified: false })
  })

  it('a hosted /sign-up stores the address unverified', async () => {
    const agent = new BrowserAgent(server.url)
    const page = await agent.goto(`${server.url}/sign-up`)
    const done = await agent.fill(page, {
      email_address: 'cfo@bigbank.example',
      password: PASSWORD,
    })
    expect(done.status).toBeLessThan(400)
    const [user] = (await bapi(server, '/v1/users?email_address=cfo@bigbank.example'))
      .json as Json[]
    expect(user.email_addresses[0].verification).toBeNull()
  })

  it('an address created through the Backend API is verified, and its tokens say so', async () => {
    const created = await bapi(server, '/v1/users', 'POST', {
      email_address: ['ops@example.com'],
      password: PASSWORD,
    })
    expect(created.status).toBe(200)
    expect(created.json.email_addresses[0].verification).toMatchObject({ status: 'verified' })
    const b = browser()
    const sid = await b.signIn('ops@example.com', PASSWORD)
    const identity = await instantDbIdentity(server, await b.token(sid))
    expect(identity).toEqual({
      sub: created.json.id,
      emailVerified: true,
      email: 'ops@example.com',
    })
  })

  it('OAuth userinfo and the ID token say email_verified: false for a signed-up address', async () => {
    const app = await bapi(server, '/v1/oauth_applications', 'POST', {
      name: 'Relying Party',
      redirect_uris: [CALLBACK],
      scopes: 'profile email',
      consent_screen_enabled: false,
    })
    expect(app.status).toBe(200)
    const agent = new BrowserAgent(server.url)
    const signUp = await agent.goto(`${server.url}/sign-up`)
    await agent.fill(signUp, {
      email_address: 'someone-else@bigbank.example',
      password: PASSWORD,
    })
    const config = await relyingParty(
      app.json.discovery_url,
      app.json.client_id,
      app.json.client_secret,
    )
    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    })
    const done = await agent.goto(url.href)
    expect(done.url.startsWith(`${CALLBACK}?`)).toBe(true)
    const tokens = await client.authorizationCodeGrant(config, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    })
    const sub = tokens.claims()?.sub as string
    const info = await client.fetchUserInfo(config, tokens.access_token, sub)
    expect(info).toMatchObject({ email: 'someone-else@bigbank.example', email_verified: false })
  })
})

describe.each(DIALECTS)('existing databases (%s)', (dialect) => {
  it('the migration marks addresses that came from a public sign-up unverified, and only those', async () => {
    const schema = `t_mig13_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
    const db = await createDb(
      dialect === 'sqlite' ? { url: 'sqlite::memory:' } : { url: TEST_PG_URL, schema },
    )
    try {
      await migrate(db, { upTo: '2026-11-23T0006-change-feed' })
      const now = Date.now()
      const user = (id: string, email: string) => ({
        id,
        email: { id: `idn_${id}`, user_id: id, email_address: email, verified: 1 },
      })
      const signedUp = user('user_signed_up', 'ceo@bigbank.example')
      const operator = user('user_operator', 'ops@example.com')
      for (const u of [signedUp, operator]) {
        await db.db
          .insertInto('users')
          .values({
            id: u.id,
            public_metadata: '{}',
            private_metadata: '{}',
            unsafe_metadata: '{}',
            created_at: now,
            updated_at: now,
          } as never)
          .execute()
        await db.db
          .insertInto('email_addresses')
          .values({ ...u.email, created_at: now, updated_at: now })
          .execute()
      }
      // A later address of the signed-up user, added by an operator, keeps its verification.
      await db.db
        .insertInto('email_addresses')
        .values({
          id: 'idn_second',
          user_id: signedUp.id,
          email_address: 'second@bigbank.example',
          verified: 1,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await db.db
        .insertInto('clients')
        .values({ id: 'client_1', token_hash: 'x', created_at: now, updated_at: now } as never)
        .execute()
      await db.db
        .insertInto('sign_ups')
        .values({
          id: 'sua_1',
          client_id: 'client_1',
          status: 'complete',
          email_address: 'ceo@bigbank.example',
          unsafe_metadata: '{}',
          created_user_id: signedUp.id,
          abandon_at: now,
          created_at: now,
          updated_at: now,
        } as never)
        .execute()

      await migrate(db)
      const rows = await db.db
        .selectFrom('email_addresses')
        .select(['email_address', 'verified'])
        .orderBy('email_address')
        .execute()
      expect(rows.map((r) => [r.email_address, Number(r.verified)])).toEqual([
        ['ceo@bigbank.example', 0],
        ['ops@example.com', 1],
        ['second@bigbank.example', 1],
      ])
    } finally {
      if (dialect === 'postgres') await db.db.schema.dropSchema(schema).cascade().execute()
      await db.close()
    }
  })
})
