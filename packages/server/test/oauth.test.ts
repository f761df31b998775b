import { createHash } from 'node:crypto'
import { createClerkClient } from '@clerk/backend'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { COOKIE_NAMES } from '../src/oauth/provider.js'
import { BrowserAgent } from './helpers/browser-agent.js'
import { fetchJson } from './helpers/browser-client.js'
import { authorize as authorizeAs, bapi, basic, CALLBACK } from './helpers/oauth-flow.js'
import { readmeSnippetFor, runReadmeShell } from './helpers/readme.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const EMAIL = 'ada@example.com'
const PASSWORD = 'analytical engine 1843'

type Clerk = ReturnType<typeof createClerkClient>

/** Runs a browser through sign-in (as Ada, if asked) and consent (if shown). */
function authorize(
  browser: BrowserAgent,
  url: string,
  opts: { password?: string; consent?: 'allow' | 'deny' } = {},
) {
  return authorizeAs(browser, url, { email: EMAIL, password: opts.password ?? PASSWORD }, opts)
}

async function tokenRequest(server: TestServer, form: Record<string, string>, auth?: string) {
  return fetchJson(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(form).toString(),
  })
}

function userinfo(server: TestServer, accessToken: string) {
  return fetchJson(`${server.url}/oauth/userinfo`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
}

describe.each(DIALECTS)('OAuth 2 / OpenID Connect provider (%s)', (dialect) => {
  let server: TestServer
  let clerk: Clerk
  let userId: string
  let app: { id: string; clientId: string; clientSecret: string }

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({
      emailAddress: [EMAIL],
      password: PASSWORD,
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: 'ada',
      publicMetadata: { role: 'admin' },
      privateMetadata: { note: 'secret' },
    })
    userId = user.id
    const created = await clerk.oauthApplications.create({
      name: 'Acme Analytics',
      redirectUris: [CALLBACK],
      scopes: 'profile email public_metadata private_metadata',
    })
    app = {
      id: created.id,
      clientId: created.clientId,
      clientSecret: (created as unknown as { clientSecret: string }).clientSecret,
    }
  })
  afterAll(() => server.close())

  describe('Backend API oauth_applications', () => {
    it('creates in Clerk shape, shows the secret once and stores only its hash', async () => {
      const r = await bapi(server, '/v1/oauth_applications', 'POST', {
        name: 'Shape Check',
        callback_url: 'myapp://oauth/callback',
        public: true,
        consent_screen_enabled: false,
      })
      expect(r.status).toBe(200)
      expect(r.json).toMatchObject({
        object: 'oauth_application',
        id: expect.stringMatching(/^oa_/),
        instance_id: server.services.instance.id,
        name: 'Shape Check',
        client_id: expect.any(String),
        client_secret: '',
        public: true,
        pkce_required: false,
        consent_screen_enabled: false,
        dynamically_registered: false,
        scopes: 'profile email',
        redirect_uris: ['myapp://oauth/callback'],
        callback_url: 'myapp://oauth/callback',
        authorize_url: `${server.url}/oauth/authorize`,
        token_fetch_url: `${server.url}/oauth/token`,
        user_info_url: `${server.url}/oauth/userinfo`,
        // The OAuth issuer, {LATCHKEY_URL}/oauth (not the session tokens' issuer).
        discovery_url: `${server.url}/oauth/.well-known/openid-configuration`,
        token_introspection_url: `${server.url}/oauth/token_info`,
      })
      expect(app.clientSecret).toMatch(/^[0-9A-Za-z]{43}$/)
      const row = await server.db.db
        .selectFrom('oauth_applications')
        .selectAll()
        .where('id', '=', app.id)
        .executeTakeFirstOrThrow()
      expect(row.client_secret_hash).not.toContain(app.clientSecret)
      const fetched = await bapi(server, `/v1/oauth_applications/${app.id}`)
      expect(fetched.json.client_secret).toBeUndefined()
      await clerk.oauthApplications.delete(r.json.id)
    })

    it('lists (paginated, name_query by name or exact client_id), updates, rotates and deletes', async () => {
      const other = await clerk.oauthApplications.create({
        name: 'Zeta Reports',
        redirectUris: ['https://zeta.example/cb'],
      })
      const all = await clerk.oauthApplications.list({ orderBy: '+name' })
      expect(all.totalCount).toBe(2)
      expect(all.data.map((a) => a.name)).toEqual(['Acme Analytics', 'Zeta Reports'])
      const byName = await clerk.oauthApplications.list({ nameQuery: 'zeta' })
      expect(byName.data.map((a) => a.id)).toEqual([other.id])
      const byClientId = await clerk.oauthApplications.list({ nameQuery: app.clientId })
      expect(byClientId.data.map((a) => a.id)).toEqual([app.id])

      const updated = await clerk.oauthApplications.update({
        oauthApplicationId: other.id,
        name: 'Zeta Reports 2',
        redirectUris: ['https://zeta.example/cb', 'https://zeta.example/cb2'],
        scopes: 'email',
      })
      expect(updated.name).toBe('Zeta Reports 2')
      expect(updated.redirectUris).toEqual(['https://zeta.example/cb', 'https://zeta.example/cb2'])
      expect(updated.scopes).toBe('email')

      const before = (
        await server.db.db
          .selectFrom('oauth_applications')
          .select('client_secret_hash')
          .where('id', '=', other.id)
          .executeTakeFirstOrThrow()
      ).client_secret_hash
      const rotated = await bapi(server, `/v1/oauth_applications/${other.id}/rotate_secret`, 'POST')
      expect(rotated.status).toBe(200)
      expect(rotated.json.client_secret).toMatch(/^[0-9A-Za-z]{43}$/)
      const after = await server.db.db
        .selectFrom('oauth_applications')
        .select('client_secret_hash')
        .where('id', '=', other.id)
        .executeTakeFirstOrThrow()
      expect(after.client_secret_hash).not.toBe(before)

      const deleted = await clerk.oauthApplications.delete(other.id)
      expect(deleted).toMatchObject({ id: other.id, deleted: true })
      const gone = await bapi(server, `/v1/oauth_applications/${other.id}`)
      expect(gone.status).toBe(404)
      expect(gone.json.errors[0].code).toBe('resource_not_found')
    })

    it('refuses bad input with field errors and changes nothing', async () => {
      const count = async () =>
        Number(
          (
            await server.db.db
              .selectFrom('oauth_applications')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const before = await count()
      const cases: [unknown, string][] = [
        [{ redirect_uris: [CALLBACK] }, 'name'],
        [{ name: 'x' }, 'redirect_uris'],
        [{ name: 'x', redirect_uris: ['not a url'] }, 'redirect_uris'],
        [{ name: 'x', redirect_uris: ['https://a.example/cb#frag'] }, 'redirect_uris'],
        [{ name: 'x', redirect_uris: ['javascript:alert(1)'] }, 'redirect_uris'],
        [{ name: 'x', redirect_uris: ['myapp://cb', 'http://evil.example/cb'] }, 'redirect_uris'],
        [{ name: 'x', redirect_uris: [CALLBACK], scopes: 'profile admin' }, 'scopes'],
        [{ name: 'x', redirect_uris: [CALLBACK], public: 'yes' }, 'public'],
        [{ name: 'x', redirect_uris: [CALLBACK], surprise: 1 }, 'surprise'],
      ]
      for (const [body, param] of cases) {
        const r = await bapi(server, '/v1/oauth_applications', 'POST', body)
        expect(r.status, JSON.stringify(body)).toBe(422)
        expect(r.json.errors[0].meta.param_name).toBe(param)
      }
      expect((await bapi(server, '/v1/oauth_applications/oa_missing')).status).toBe(404)
      expect((await bapi(server, '/v1/oauth_applications/bad-id')).status).toBe(422)
      expect(await count()).toBe(before)
    })
  })

  it("the README's curl creates an application", async () => {
    const [out] = await runReadmeShell(
      readmeSnippetFor('oauth-create', server.url),
      server.secretKey,
    )
    const created = JSON.parse(out ?? '{}')
    expect(created).toMatchObject({
      object: 'oauth_application',
      name: 'Acme Analytics',
      redirect_uris: ['https://acme.example/callback'],
      scopes: 'profile email',
      client_secret: expect.stringMatching(/^[0-9A-Za-z]{43}$/),
    })
    await clerk.oauthApplications.delete(created.id)
  })

  it('the hosted sign-in honours redirect_url only for this server and allowed origins, and refuses cross-origin posts', async () => {
    const browser = new BrowserAgent(server.url)
    const evil = await browser.fill(await browser.goto('/sign-in'), {
      identifier: EMAIL,
      password: PASSWORD,
      redirect_url: 'https://evil.example/phish',
    })
    expect(evil.status).toBe(200)
    expect(evil.url).toBe(`${server.url}/sign-in`)
    expect(evil.html).toContain(`Signed in as ${EMAIL}`)
    const local = await browser.goto('/sign-in?redirect_url=%2F.well-known%2Fjwks.json')
    expect(local.url).toBe(`${server.url}/.well-known/jwks.json`)

    const forged = await fetch(`${server.url}/sign-in`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
      },
      body: new URLSearchParams({ identifier: EMAIL, password: PASSWORD }).toString(),
      redirect: 'manual',
    })
    expect(forged.status).toBe(403)
    expect(forged.headers.getSetCookie().filter((c) => c.startsWith('__client='))).toEqual([])
    expect(forged.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  describe('discovery', () => {
    it("serves the /oauth issuer's document, also as RFC 8414 metadata at the path-inserted URL", async () => {
      const oidc = await fetchJson(`${server.url}/oauth/.well-known/openid-configuration`)
      const as = await fetchJson(`${server.url}/.well-known/oauth-authorization-server/oauth`)
      expect(oidc.status).toBe(200)
      expect(as.json).toEqual(oidc.json)
      expect(oidc.json).toMatchObject({
        issuer: `${server.url}/oauth`,
        authorization_endpoint: `${server.url}/oauth/authorize`,
        token_endpoint: `${server.url}/oauth/token`,
        userinfo_endpoint: `${server.url}/oauth/userinfo`,
        introspection_endpoint: `${server.url}/oauth/token_info`,
        revocation_endpoint: `${server.url}/oauth/token/revoke`,
        jwks_uri: `${server.url}/oauth/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      })
      expect(oidc.json.scopes_supported).toEqual(
        expect.arrayContaining([
          'openid',
          'profile',
          'email',
          'public_metadata',
          'private_metadata',
        ]),
      )
      expect(oidc.json.grant_types_supported).toEqual(['authorization_code', 'refresh_token'])
      // Dynamic registration is off by default.
      expect(oidc.json.registration_endpoint).toBeUndefined()
      expect(oidc.headers.get('access-control-allow-origin')).toBe('*')
      // LATCHKEY_URL is no authorization server: its RFC 8414 document says where the one is.
      const root = await fetchJson(`${server.url}/.well-known/oauth-authorization-server`)
      expect(root.status).toBe(404)
      expect(root.json.errors[0].long_message).toContain(
        `${server.url}/.well-known/oauth-authorization-server/oauth`,
      )
    })
  })

  describe('openid-client as the relying party', () => {
    let config: client.Configuration
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers

    beforeAll(async () => {
      config = await client.discovery(
        new URL(`${server.url}/oauth`),
        app.clientId,
        app.clientSecret,
        undefined,
        {
          execute: [client.allowInsecureRequests],
        },
      )
    })

    it('signs in through the hosted page, consents, exchanges the code and validates the ID token', async () => {
      const verifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const nonce = client.randomNonce()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid profile email public_metadata',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
      const browser = new BrowserAgent(server.url)
      // Signed out: the provider sends the browser to the hosted sign-in page.
      const signIn = await browser.goto(url.href)
      expect(new URL(signIn.url).pathname).toBe('/sign-in')
      expect(signIn.html).toContain('<label for="identifier">Email address</label>')
      expect(signIn.html).toContain('<label for="password">Password</label>')
      // A wrong password shows its message and stays on the page.
      const wrong = await browser.fill(signIn, { identifier: EMAIL, password: 'not the password' })
      expect(wrong.status).toBe(422)
      expect(wrong.html).toMatch(/role="alert"[^>]*>Password is incorrect/)
      const consent = await browser.fill(wrong, { identifier: EMAIL, password: PASSWORD })
      expect(consent.status).toBe(200)
      expect(consent.html).toContain('Acme Analytics wants to access your account')
      expect(consent.html).toContain('Your email address')
      expect(consent.html).toContain('Your public metadata')
      expect(consent.html).toContain(`Signed in as ${EMAIL}`)
      const done = await browser.fill(consent, { decision: 'allow' })
      expect(done.url.startsWith(`${CALLBACK}?`)).toBe(true)

      tokens = await client.authorizationCodeGrant(config, new URL(done.url), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      })
      expect(tokens.token_type.toLowerCase()).toBe('bearer')
      expect(tokens.expires_in).toBe(7200)
      expect(tokens.refresh_token).toEqual(expect.any(String))
      const claims = tokens.claims()
      expect(claims).toMatchObject({
        iss: `${server.url}/oauth`,
        aud: app.clientId,
        sub: userId,
        nonce,
        email: EMAIL,
        email_verified: true,
        given_name: 'Ada',
        family_name: 'Lovelace',
      })
      // at_hash binds the ID token to its access token (left half of SHA-256, base64url).
      const digest = createHash('sha256').update(tokens.access_token).digest()
      expect(claims?.at_hash).toBe(digest.subarray(0, 16).toString('base64url'))
      // Signed RS256 by the OAuth key, published in the OAuth issuer's JWKS only.
      const header = decodeProtectedHeader(tokens.id_token as string)
      expect(header.alg).toBe('RS256')
      expect(server.services.keys.jwks('oauth').keys.map((k) => k.kid)).toEqual([header.kid])
      expect(server.services.keys.jwks('session').keys.map((k) => k.kid)).not.toContain(header.kid)
      await jwtVerify(
        tokens.id_token as string,
        createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)),
        { issuer: `${server.url}/oauth`, audience: app.clientId },
      )
    })

    it('userinfo answers Clerk fields by scope', async () => {
      const info = await client.fetchUserInfo(config, tokens.access_token, userId)
      expect(info).toEqual({
        object: 'user_info',
        instance_id: server.services.instance.id,
        user_id: userId,
        sub: userId,
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
        preferred_username: 'ada',
        username: 'ada',
        // A user without an image has Latchkey's default avatar, as Clerk's have Clerk's.
        picture: `${server.url}/images/avatar_placeholder.svg`,
        email: EMAIL,
        email_verified: true,
        public_metadata: { role: 'admin' },
      })
      // private_metadata was not requested, so it is not released.
      expect(info).not.toHaveProperty('private_metadata')
    })

    it('introspects (client-authenticated), refreshes with rotation, revokes', async () => {
      const intro = await client.tokenIntrospection(config, tokens.access_token)
      expect(intro).toMatchObject({ active: true, client_id: app.clientId, sub: userId })
      expect(intro.scope?.split(' ')).toEqual(
        expect.arrayContaining(['openid', 'profile', 'email', 'public_metadata']),
      )
      const unauthenticated = await fetchJson(`${server.url}/oauth/token_info`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      })
      expect(unauthenticated.status).toBe(400)

      const refreshIntro = await client.tokenIntrospection(config, tokens.refresh_token as string)
      expect(refreshIntro.active).toBe(true)
      expect(Number(refreshIntro.exp) - Number(refreshIntro.iat)).toBe(3 * 24 * 3600)

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
      expect(refreshed.access_token).not.toBe(tokens.access_token)
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
      expect((await userinfo(server, refreshed.access_token)).status).toBe(200)

      await client.tokenRevocation(config, refreshed.access_token)
      const after = await userinfo(server, refreshed.access_token)
      expect(after.status).toBe(401)
      expect(after.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
      expect((await client.tokenIntrospection(config, refreshed.access_token)).active).toBe(false)
      tokens = refreshed
    })

    it('remembers consent: a second authorization goes straight back to the client', async () => {
      const browser = new BrowserAgent(server.url)
      const verifier = client.randomPKCECodeVerifier()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 's2',
      })
      await browser.fill(await browser.goto('/sign-in'), { identifier: EMAIL, password: PASSWORD })
      const done = await browser.goto(url.href)
      expect(done.url.startsWith(`${CALLBACK}?code=`)).toBe(true)
      expect(browser.history.some((u) => u.includes('/oauth/interaction/'))).toBe(true)
      const t = await client.authorizationCodeGrant(config, new URL(done.url), {
        pkceCodeVerifier: verifier,
        expectedState: 's2',
      })
      expect(t.claims()?.sub).toBe(userId)

      // Signing out of Latchkey ends "Sign in with …" too: the next authorization asks again.
      const signOut = await browser.submit('/v1/client?_method=DELETE', {})
      expect(signOut.status).toBe(200)
      expect(browser.hasCookie(COOKIE_NAMES.session)).toBe(true)
      const again = await browser.goto(url.href)
      expect(new URL(again.url).pathname).toBe('/sign-in')
    })
    // Security issue "hosted pages must work in the browsers people use": with a grant in place
    // nothing is missing, and the screen listed nothing while asking the user to allow it.
    it('prompt=consent asks again although the grant exists, listing what the application asks for', async () => {
      const browser = new BrowserAgent(server.url)
      await browser.fill(await browser.goto('/sign-in'), { identifier: EMAIL, password: PASSWORD })
      const verifier = client.randomPKCECodeVerifier()
      const authorizeUrl = async (prompt?: string) =>
        client.buildAuthorizationUrl(config, {
          redirect_uri: CALLBACK,
          scope: 'openid email public_metadata unknown_scope',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: 's3',
          ...(prompt ? { prompt } : {}),
        }).href
      // The grant from the first sign-in covers these scopes: no screen without the prompt.
      expect((await browser.goto(await authorizeUrl())).url.startsWith(`${CALLBACK}?code=`)).toBe(
        true,
      )
      const consent = await browser.goto(await authorizeUrl('consent'))
      expect(consent.html).toContain('Acme Analytics wants to access your account')
      const items = [...consent.html.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1])
      expect(items).toEqual(['Know who you are', 'Your email address', 'Your public metadata'])
      const done = await browser.fill(consent, { decision: 'allow' })
      expect(done.url.startsWith(`${CALLBACK}?code=`)).toBe(true)
    })
  })

  describe('oauth4webapi with its strict checks', () => {
    it('completes the code flow with PKCE, nonce and ID token validation, then userinfo and refresh', async () => {
      const issuer = new URL(`${server.url}/oauth`)
      const opts = { [oauth.allowInsecureRequests]: true }
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { ...opts, algorithm: 'oidc' }),
      )
      const c: oauth.Client = { client_id: app.clientId }
      const auth = oauth.ClientSecretBasic(app.clientSecret)
      const verifier = oauth.generateRandomCodeVerifier()
      const nonce = oauth.generateRandomNonce()
      const state = oauth.generateRandomState()
      const url = new URL(as.authorization_endpoint as string)
      url.search = new URLSearchParams({
        client_id: app.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid email private_metadata',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
      }).toString()
      const done = await authorize(new BrowserAgent(server.url), url.href)
      const params = oauth.validateAuthResponse(as, c, new URL(done.url), state)
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        c,
        auth,
        params,
        CALLBACK,
        verifier,
        opts,
      )
      const result = await oauth.processAuthorizationCodeResponse(as, c, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      })
      const claims = oauth.getValidatedIdTokenClaims(result)
      expect(claims?.sub).toBe(userId)
      const info = await oauth.processUserInfoResponse(
        as,
        c,
        userId,
        await oauth.userInfoRequest(as, c, result.access_token, opts),
      )
      expect(info).toMatchObject({ email: EMAIL, private_metadata: { note: 'secret' } })
      expect(info).not.toHaveProperty('given_name')
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        c,
        await oauth.refreshTokenGrantRequest(as, c, auth, result.refresh_token as string, opts),
      )
      expect(refreshed.access_token).toEqual(expect.any(String))
    })
  })

  describe('refusals (RFC 6749 / 6750 errors, never a 500)', () => {
    let publicApp: { clientId: string }

    beforeAll(async () => {
      const created = await clerk.oauthApplications.create({
        name: 'Public SPA',
        redirectUris: [CALLBACK],
        public: true,
      })
      publicApp = { clientId: created.clientId }
    })

    const authUrl = (params: Record<string, string>) =>
      `${server.url}/oauth/authorize?${new URLSearchParams(params).toString()}`

    async function codeFor(clientId: string, extra: Record<string, string> = {}) {
      const verifier = oauth.generateRandomCodeVerifier()
      const done = await authorize(
        new BrowserAgent(server.url),
        authUrl({
          client_id: clientId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'openid profile',
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: 'st',
          ...extra,
        }),
      )
      const code = new URL(done.url).searchParams.get('code')
      if (!code) throw new Error(`no code: ${done.url} ${done.status} ${done.html.slice(0, 300)}`)
      return { code, verifier }
    }

    it('a public client without PKCE is refused; with PKCE it gets tokens without a secret', async () => {
      const done = await new BrowserAgent(server.url).goto(
        authUrl({
          client_id: publicApp.clientId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'openid',
          state: 'st',
        }),
      )
      const back = new URL(done.url)
      expect(back.origin + back.pathname).toBe(CALLBACK)
      expect(back.searchParams.get('error')).toBe('invalid_request')
      expect(back.searchParams.get('error_description')).toMatch(/PKCE/)

      const { code, verifier } = await codeFor(publicApp.clientId)
      const ok = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: publicApp.clientId,
        code_verifier: verifier,
      })
      expect(ok.status).toBe(200)
      expect(ok.json.access_token).toEqual(expect.any(String))
    })

    it('a wrong or missing PKCE verifier is invalid_grant', async () => {
      const { code } = await codeFor(publicApp.clientId)
      const wrong = await tokenRequest(server, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        client_id: publicApp.clientId,
        code_verifier: oauth.generateRandomCodeVerifier(),
      })
      expect(wrong.status).toBe(400)
      expect(wrong.json.error).toBe('invalid_grant')
    })

    it('a confidential client with a wrong secret gets invalid_client', async () => {
      const { code, verifier } = await codeFor(app.clientId)
      const r = await tokenRequest(
        server,
        { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
        basic(app.clientId, 'not-the-secret'),
      )
      expect(r.status).toBe(401)
      expect(r.json.error).toBe('invalid_client')
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic/)
    })

    it('a reused code is refused and revokes the tokens issued from it', async () => {
      const { code, verifier } = await codeFor(app.clientId)
      const form = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }
      const first = await tokenRequest(server, form, basic(app.clientId, app.clientSecret))
      expect(first.status).toBe(200)
      expect((await userinfo(server, first.json.access_token)).status).toBe(200)
      const second = await tokenRequest(server, form, basic(app.clientId, app.clientSecret))
      expect(second.status).toBe(400)
      expect(second.json.error).toBe('invalid_grant')
      expect((await userinfo(server, first.json.access_token)).status).toBe(401)
      const refresh = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: first.json.refresh_token },
        basic(app.clientId, app.clientSecret),
      )
      expect(refresh.json.error).toBe('invalid_grant')
    })

    it('a reused refresh token is refused and revokes its whole family', async () => {
      const { code, verifier } = await codeFor(app.clientId)
      const auth = basic(app.clientId, app.clientSecret)
      const first = await tokenRequest(
        server,
        { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
        auth,
      )
      const r1 = first.json.refresh_token as string
      const rotated = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: r1 },
        auth,
      )
      expect(rotated.status).toBe(200)
      const r2 = rotated.json.refresh_token as string
      expect(r2).not.toBe(r1)
      // An attacker replays the old one: refused, and the current one dies with it.
      const replay = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: r1 },
        auth,
      )
      expect(replay.status).toBe(400)
      expect(replay.json.error).toBe('invalid_grant')
      const current = await tokenRequest(
        server,
        { grant_type: 'refresh_token', refresh_token: r2 },
        auth,
      )
      expect(current.status).toBe(400)
      expect(current.json.error).toBe('invalid_grant')
      expect((await userinfo(server, rotated.json.access_token)).status).toBe(401)
    })

    it('an unregistered redirect_uri or unknown client gets an error page, never a redirect', async () => {
      for (const params of [
        { client_id: app.clientId, redirect_uri: 'https://evil.example/steal' },
        { client_id: app.clientId, redirect_uri: `${CALLBACK}/` },
        { client_id: app.clientId, redirect_uri: `${CALLBACK}?x=1` },
        { client_id: 'no-such-client', redirect_uri: CALLBACK },
      ]) {
        const res = await fetch(authUrl({ ...params, response_type: 'code', scope: 'openid' }), {
          redirect: 'manual',
        })
        expect(res.status, JSON.stringify(params)).toBe(400)
        expect(res.headers.get('location')).toBeNull()
        const html = await res.text()
        expect(html).toMatch(/invalid_(redirect_uri|client)/)
        expect(html).not.toContain('<script')
      }
    })

    it('deny sends access_denied to the client', async () => {
      const verifier = oauth.generateRandomCodeVerifier()
      const fresh = await clerk.oauthApplications.create({ name: 'Nosy', redirectUris: [CALLBACK] })
      const done = await authorize(
        new BrowserAgent(server.url),
        authUrl({
          client_id: fresh.clientId,
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'openid email',
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state: 'st',
        }),
        { consent: 'deny' },
      )
      const back = new URL(done.url)
      expect(back.searchParams.get('error')).toBe('access_denied')
      expect(back.searchParams.get('state')).toBe('st')
      expect(back.searchParams.get('code')).toBeNull()
    })

    it('unsupported grant and response types and invalid scopes are named', async () => {
      const grant = await tokenRequest(
        server,
        { grant_type: 'password', username: EMAIL, password: PASSWORD },
        basic(app.clientId, app.clientSecret),
      )
      expect(grant.status).toBe(400)
      expect(grant.json.error).toBe('unsupported_grant_type')

      const base = { client_id: app.clientId, redirect_uri: CALLBACK, state: 'st' }
      const token = await fetch(authUrl({ ...base, response_type: 'token', scope: 'openid' }), {
        redirect: 'manual',
      })
      // response_type=token answers in the fragment, as that response type would.
      const fragment = new URLSearchParams(
        new URL(token.headers.get('location') as string).hash.slice(1),
      )
      expect(fragment.get('error')).toBe('unsupported_response_type')
      // A scope the application was not given is invalid_scope (Public SPA has profile email).
      const challenge = await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier())
      const scope = await fetch(
        authUrl({
          ...base,
          client_id: publicApp.clientId,
          response_type: 'code',
          scope: 'openid private_metadata',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        { redirect: 'manual' },
      )
      const refused = new URL(scope.headers.get('location') as string)
      expect(refused.searchParams.get('error')).toBe('invalid_scope')
      expect(refused.searchParams.get('state')).toBe('st')
    })

    it('expired codes, access tokens and refresh tokens are refused', async () => {
      const { code, verifier } = await codeFor(app.clientId)
      const auth = basic(app.clientId, app.clientSecret)
      const live = await codeFor(app.clientId)
      const t = await tokenRequest(
        server,
        {
          grant_type: 'authorization_code',
          code: live.code,
          redirect_uri: CALLBACK,
          code_verifier: live.verifier,
        },
        auth,
      )
      expect(t.status).toBe(200)
      // Only Date is faked: the provider and its storage read the wall clock through it.
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3 * 24 * 3600 * 1000 + 60_000 })
      try {
        const expiredCode = await tokenRequest(
          server,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: CALLBACK,
            code_verifier: verifier,
          },
          auth,
        )
        expect(expiredCode.status).toBe(400)
        expect(expiredCode.json.error).toBe('invalid_grant')
        const expiredAccess = await userinfo(server, t.json.access_token)
        expect(expiredAccess.status).toBe(401)
        expect(expiredAccess.json.error).toBe('invalid_token')
        const expiredRefresh = await tokenRequest(
          server,
          { grant_type: 'refresh_token', refresh_token: t.json.refresh_token },
          auth,
        )
        expect(expiredRefresh.json.error).toBe('invalid_grant')
      } finally {
        vi.useRealTimers()
      }
    })

    it('userinfo without a token, with a garbage token, or for a banned user is 401 with WWW-Authenticate', async () => {
      const none = await fetchJson(`${server.url}/oauth/userinfo`)
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="${server.url}"`)
      const garbage = await userinfo(server, 'garbage')
      expect(garbage.status).toBe(401)
      expect(garbage.json.error).toBe('invalid_token')
      const malformed = await fetchJson(`${server.url}/oauth/userinfo`, {
        headers: { authorization: 'Basic abc' },
      })
      expect(malformed.status).toBe(400)
      expect(malformed.json.error).toBe('invalid_request')

      const { code, verifier } = await codeFor(app.clientId)
      const t = await tokenRequest(
        server,
        { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
        basic(app.clientId, app.clientSecret),
      )
      await clerk.users.banUser(userId)
      try {
        expect((await userinfo(server, t.json.access_token)).status).toBe(401)
      } finally {
        await clerk.users.unbanUser(userId)
      }
    })
  })

  describe('instance settings', () => {
    it('lifetimes default to 2 h / 3 d / 10 min and are configurable', async () => {
      const settings = await bapi(server, '/v1/instance/oauth_application_settings')
      expect(settings.json).toMatchObject({
        object: 'oauth_application_settings',
        dynamic_oauth_client_registration: false,
        access_token_lifetime: 7200,
        refresh_token_lifetime: 259200,
        authorization_code_lifetime: 600,
      })
      const bad = await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
        access_token_lifetime: 5,
      })
      expect(bad.status).toBe(422)
      const patched = await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
        access_token_lifetime: 900,
        authorization_code_lifetime: 120,
      })
      expect(patched.json.access_token_lifetime).toBe(900)
      try {
        const codeBefore = Date.now()
        const browser = new BrowserAgent(server.url)
        const verifier = oauth.generateRandomCodeVerifier()
        const done = await authorize(
          browser,
          `${server.url}/oauth/authorize?${new URLSearchParams({
            client_id: app.clientId,
            redirect_uri: CALLBACK,
            response_type: 'code',
            scope: 'openid',
            code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          })}`,
        )
        const code = new URL(done.url).searchParams.get('code') as string
        const stored = await server.db.db
          .selectFrom('oidc_models')
          .select('expires_at')
          .where('kind', '=', 'AuthorizationCode')
          // Stored under its SHA-256, never as itself.
          .where('id', '=', createHash('sha256').update(code).digest('base64url'))
          .executeTakeFirstOrThrow()
        expect(Number(stored.expires_at) - codeBefore).toBeGreaterThan(110_000)
        expect(Number(stored.expires_at) - codeBefore).toBeLessThan(130_000)
        const t = await tokenRequest(
          server,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: CALLBACK,
            code_verifier: verifier,
          },
          basic(app.clientId, app.clientSecret),
        )
        expect(t.json.expires_in).toBe(900)
      } finally {
        await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
          access_token_lifetime: null,
          authorization_code_lifetime: null,
        })
      }
    })

    it('dynamic client registration is off by default and works once enabled', async () => {
      const register = (body: unknown) =>
        fetchJson(`${server.url}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      const off = await register({ redirect_uris: [CALLBACK] })
      expect(off.status).toBe(403)
      await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
        dynamic_oauth_client_registration: true,
      })
      try {
        const discovery = await fetchJson(`${server.url}/oauth/.well-known/openid-configuration`)
        expect(discovery.json.registration_endpoint).toBe(`${server.url}/oauth/register`)
        const bad = await register({ redirect_uris: ['not a uri'] })
        expect(bad.status).toBe(400)
        expect(bad.json.error).toBe('invalid_redirect_uri')
        const r = await register({
          client_name: 'Registered Tool',
          redirect_uris: [CALLBACK],
          token_endpoint_auth_method: 'client_secret_basic',
        })
        expect(r.status).toBe(201)
        expect(r.json.client_secret).toEqual(expect.any(String))
        const listed = await clerk.oauthApplications.list({ nameQuery: r.json.client_id })
        expect(listed.data[0]).toMatchObject({
          name: 'Registered Tool',
          dynamicallyRegistered: true,
          consentScreenEnabled: true,
          pkceRequired: true,
        })
        // The registered client runs the flow with the secret it was given.
        const { code, verifier } = await (async () => {
          const v = oauth.generateRandomCodeVerifier()
          const done = await authorize(
            new BrowserAgent(server.url),
            `${server.url}/oauth/authorize?${new URLSearchParams({
              client_id: r.json.client_id,
              redirect_uri: CALLBACK,
              response_type: 'code',
              scope: 'openid',
              code_challenge: await oauth.calculatePKCECodeChallenge(v),
              code_challenge_method: 'S256',
            })}`,
          )
          return { code: new URL(done.url).searchParams.get('code') as string, verifier: v }
        })()
        const t = await tokenRequest(
          server,
          {
            grant_type: 'authorization_code',
            code,
            redirect_uri: CALLBACK,
            code_verifier: verifier,
          },
          basic(r.json.client_id, r.json.client_secret),
        )
        expect(t.status).toBe(200)
      } finally {
        await bapi(server, '/v1/instance/oauth_application_settings', 'PATCH', {
          dynamic_oauth_client_registration: false,
        })
      }
    })
  })

  it('deleting an application revokes everything issued to it', async () => {
    const created = await clerk.oauthApplications.create({
      name: 'Short Lived',
      redirectUris: [CALLBACK],
    })
    const secret = (created as unknown as { clientSecret: string }).clientSecret
    const verifier = oauth.generateRandomCodeVerifier()
    const done = await authorize(
      new BrowserAgent(server.url),
      `${server.url}/oauth/authorize?${new URLSearchParams({
        client_id: created.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      })}`,
    )
    const t = await tokenRequest(
      server,
      {
        grant_type: 'authorization_code',
        code: new URL(done.url).searchParams.get('code') as string,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      },
      basic(created.clientId, secret),
    )
    expect((await userinfo(server, t.json.access_token)).status).toBe(200)
    await clerk.oauthApplications.delete(created.id)
    expect((await userinfo(server, t.json.access_token)).status).toBe(401)
    expect(decodeJwt(t.json.id_token).aud).toBe(created.clientId)
  })
})

describe.each(DIALECTS)('OAuth across server processes sharing one database (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  let bUrl: string

  beforeAll(async () => {
    a = await createTestServer(dialect, { sqliteFile: true })
    // One deployment: the second process serves the same public URL (issuer) on its own port.
    b = await createTestServer(dialect, { shareDatabaseWith: a, env: { LATCHKEY_URL: a.url } })
    const address = b.app.server.address()
    bUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    await a.services.users.create({ emailAddress: [EMAIL], password: PASSWORD })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  it('a grant made on one process is redeemed, refreshed and revoked on the other', async () => {
    const clerk = createClerkClient({ secretKey: a.secretKey, apiUrl: a.url })
    const created = await clerk.oauthApplications.create({
      name: 'Shared',
      redirectUris: [CALLBACK],
    })
    const secret = (created as unknown as { clientSecret: string }).clientSecret
    const verifier = oauth.generateRandomCodeVerifier()
    const nonce = oauth.generateRandomNonce()
    const done = await authorize(
      new BrowserAgent(a.url),
      `${a.url}/oauth/authorize?${new URLSearchParams({
        client_id: created.clientId,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid email',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
      })}`,
    )
    const code = new URL(done.url).searchParams.get('code') as string
    const post = (base: string, path: string, form: Record<string, string>) =>
      fetchJson(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(created.clientId, secret),
        },
        body: new URLSearchParams(form).toString(),
      })
    const t = await post(bUrl, '/oauth/token', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      code_verifier: verifier,
    })
    expect(t.status).toBe(200)
    const idToken = await jwtVerify(
      t.json.id_token,
      createRemoteJWKSet(new URL(`${a.url}/oauth/jwks`)),
      { issuer: `${a.url}/oauth`, audience: created.clientId },
    )
    expect(idToken.payload.nonce).toBe(nonce)
    const info = await fetchJson(`${bUrl}/oauth/userinfo`, {
      headers: { authorization: `Bearer ${t.json.access_token}` },
    })
    expect(info.json.email).toBe(EMAIL)
    // Rotated on A; the old refresh token replayed on B revokes the family everywhere.
    const rotated = await post(a.url, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: t.json.refresh_token,
    })
    expect(rotated.status).toBe(200)
    const replay = await post(bUrl, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: t.json.refresh_token,
    })
    expect(replay.json.error).toBe('invalid_grant')
    const introspected = await post(a.url, '/oauth/token_info', {
      token: rotated.json.access_token,
    })
    expect(introspected.json.active).toBe(false)
  })
})
