import { createClerkClient } from '@clerk/backend'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { bapi, makeUser, operatorToken } from './helpers/operators.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue #20, the Sessions and JWT templates pages: a live preview of the token a chosen user
 * would get with claims not yet saved. Shown here against the real thing: the preview's claims
 * are the claims of the token minted once the same claims are saved (verified with jose against
 * the JWKS, minted through @clerk/backend). A preview is never a token, writes nothing, is not
 * in the audit log, and refuses what a save would refuse.
 */
const CLAIMS = {
  email: '{{user.primary_email_address}}',
  plan: '{{user.public_metadata.plan}}',
  name: 'Hi {{user.first_name}}',
  verified: '{{user.email_verified}}',
}
/** The claims that differ between two tokens minted moments apart. */
const MOMENT = ['exp', 'iat', 'jti', 'nbf'] as const
const withoutMoment = (payload: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(payload).filter(([k]) => !(MOMENT as readonly string[]).includes(k)),
  )

describe.each(DIALECTS)('token previews (%s)', (dialect) => {
  let server: TestServer
  let userId: string
  let sid: string
  let clerk: ReturnType<typeof createClerkClient>
  const email = `previewed-${dialect}@example.com`
  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const browser = new BrowserClient(server.url)
    sid = await browser.signUp(email, 'previewing tokens 2026')
    userId = (await clerk.sessions.getSession(sid)).userId
    await clerk.users.updateUser(userId, { firstName: 'Pat' })
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { plan: 'pro' } })
  })
  afterAll(() => server?.close())

  const verify = async (jwt: string, audience?: string) =>
    (
      await jwtVerify(jwt, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
        issuer: server.url,
        ...(audience ? { audience } : {}),
      })
    ).payload

  it('the session token preview is the token a save would give, unsigned and unsaved', async () => {
    const r = await bapi(server, 'POST', '/v1/instance/session_token/preview', {
      claims: CLAIMS,
      user_id: userId,
    })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ object: 'token_preview', user_id: userId, session_id: sid })
    expect(r.json.payload).toMatchObject({
      email,
      plan: 'pro',
      name: 'Hi Pat',
      // A password sign-up has not proved the address: the claim says so.
      verified: false,
      sid,
      sub: userId,
      iss: server.url,
      v: 2,
      sts: 'active',
    })
    expect(r.json.payload.exp - r.json.payload.iat).toBe(60)
    // No token anywhere in the answer: nothing that could be presented.
    expect(JSON.stringify(r.json)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./)
    // Nothing saved: the session token is still the default one.
    expect((await bapi(server, 'GET', '/v1/instance/session_token')).json.claims).toEqual({})
    expect(await verify((await clerk.sessions.getToken(sid)).jwt)).not.toHaveProperty('plan')

    // Saved, the same claims give exactly the previewed token (but for the moment's claims).
    expect(
      (await bapi(server, 'PATCH', '/v1/instance/session_token', { claims: CLAIMS })).status,
    ).toBe(200)
    const minted = await verify((await clerk.sessions.getToken(sid)).jwt)
    expect(withoutMoment(minted)).toEqual(withoutMoment(r.json.payload))
    expect(Object.keys(minted).sort()).toEqual(Object.keys(r.json.payload).sort())
    expect((await bapi(server, 'PATCH', '/v1/instance/session_token', { claims: {} })).status).toBe(
      200,
    )
  })

  it('the template preview is the template token a save would give, with its lifetime and skew', async () => {
    const claims = { aud: 'convex', ...CLAIMS }
    const r = await bapi(server, 'POST', '/v1/jwt_templates/preview', {
      claims,
      user_id: userId,
      lifetime: 300,
      allowed_clock_skew: 20,
    })
    expect(r.status).toBe(200)
    const p = r.json.payload
    expect(p).toMatchObject({ aud: 'convex', email, plan: 'pro', sub: userId, iss: server.url })
    expect(p.exp - p.iat).toBe(300)
    expect(p.iat - p.nbf).toBe(20)
    expect(await clerk.jwtTemplates.list()).toMatchObject({ totalCount: 0 })

    const made = await bapi(server, 'POST', '/v1/jwt_templates', {
      name: 'previewed',
      claims,
      lifetime: 300,
      allowed_clock_skew: 20,
    })
    expect(made.status).toBe(200)
    const minted = await verify((await clerk.sessions.getToken(sid, 'previewed')).jwt, 'convex')
    expect(withoutMoment(minted)).toEqual(withoutMoment(p))
    expect(minted.exp! - minted.iat!).toBe(300)
    // Without times, a new template's defaults (60 s, 5 s).
    const d = (await bapi(server, 'POST', '/v1/jwt_templates/preview', { claims, user_id: userId }))
      .json.payload
    expect([d.exp - d.iat, d.iat - d.nbf]).toEqual([60, 5])
    await bapi(server, 'DELETE', `/v1/jwt_templates/${made.json.id}`)
  })

  it('lists the presets a template can start from, with their claims', async () => {
    const r = await bapi(server, 'GET', '/v1/jwt_templates/presets')
    expect(r.status).toBe(200)
    expect(r.json).toContainEqual({
      object: 'jwt_template_preset',
      name: 'convex',
      claims: expect.objectContaining({ aud: 'convex', email: '{{user.primary_email_address}}' }),
    })
  })

  it('a user who is not signed in is previewed on a stand-in session that is never written', async () => {
    const loner = await makeUser(server, `loner-${dialect}@example.com`, 'no sessions here 2026', {
      operator: false,
    })
    const r = await bapi(server, 'POST', '/v1/instance/session_token/preview', {
      claims: { email: '{{user.primary_email_address}}' },
      user_id: loner,
    })
    expect(r.status).toBe(200)
    expect(r.json.session_id).toBeNull()
    expect(r.json.payload).toMatchObject({ email: `loner-${dialect}@example.com`, sub: loner })
    expect(r.json.payload.sid).toMatch(/^sess_/)
    expect((await clerk.sessions.getSessionList({ userId: loner })).totalCount).toBe(0)
    // A named session must be the user's.
    const other = await bapi(server, 'POST', '/v1/instance/session_token/preview', {
      claims: {},
      user_id: loner,
      session_id: sid,
    })
    expect(other.status).toBe(404)
    expect(other.json.errors[0]).toMatchObject({
      code: 'resource_not_found',
      meta: { param_name: 'session_id' },
    })
    const named = await bapi(server, 'POST', '/v1/jwt_templates/preview', {
      claims: {},
      user_id: userId,
      session_id: sid,
    })
    expect(named.json.session_id).toBe(sid)
  })

  it('refuses what a save would refuse, with the same error', async () => {
    const cases: [string, Record<string, unknown>, number, string][] = [
      [
        '/v1/instance/session_token/preview',
        { claims: { sub: 'me' }, user_id: userId },
        422,
        'reserved_claim',
      ],
      ['/v1/jwt_templates/preview', { claims: { exp: 1 }, user_id: userId }, 422, 'reserved_claim'],
      [
        '/v1/jwt_templates/preview',
        {
          claims: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } },
          user_id: userId,
        },
        422,
        'form_param_format_invalid',
      ],
      [
        '/v1/jwt_templates/preview',
        { claims: {}, user_id: 'user_nobody' },
        404,
        'resource_not_found',
      ],
      [
        '/v1/jwt_templates/preview',
        { claims: {}, user_id: 'sess_x' },
        422,
        'form_param_format_invalid',
      ],
      [
        '/v1/jwt_templates/preview',
        { claims: {}, user_id: userId, lifetime: 86_401 },
        422,
        'form_param_format_invalid',
      ],
      ['/v1/instance/session_token/preview', { user_id: userId }, 422, 'form_param_missing'],
      [
        '/v1/instance/session_token/preview',
        { claims: {}, user_id: userId, extra: 1 },
        422,
        'form_param_unknown',
      ],
    ]
    for (const [path, body, status, code] of cases) {
      const r = await bapi(server, 'POST', path, body)
      expect([path, body, r.status, r.json.errors?.[0]?.code]).toEqual([path, body, status, code])
    }
    // Claims whose rendering is too large are refused as a mint would refuse them.
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { big: 'x'.repeat(5000) } })
    const big = await bapi(server, 'POST', '/v1/jwt_templates/preview', {
      claims: { big: '{{user.public_metadata.big}}' },
      user_id: userId,
    })
    expect([big.status, big.json.errors[0].code]).toEqual([422, 'token_too_large'])
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { big: null } })
  })

  it('an operator may preview; previews are not in the audit log (they change nothing)', async () => {
    const address = `op-${dialect}@example.com`
    const operatorId = await makeUser(server, address, 'operator passphrase 2026')
    const token = await operatorToken(server, address, 'operator passphrase 2026')
    const r = await bapi(
      server,
      'POST',
      '/v1/jwt_templates/preview',
      { claims: { aud: 'x' }, user_id: userId },
      token,
    )
    expect(r.status).toBe(200)
    const log = await bapi(server, 'GET', `/v1/audit_events?actor_id=${operatorId}`)
    expect(log.json.map((e: { route: string }) => e.route)).not.toContain(
      '/v1/jwt_templates/preview',
    )
    // Without any credential there is no preview.
    const anon = await fetch(`${server.url}/v1/jwt_templates/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ claims: {}, user_id: userId }),
    })
    expect(anon.status).toBe(401)
  })
})
