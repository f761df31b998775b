import { generateKeyPairSync } from 'node:crypto'
import { createClerkClient } from '@clerk/backend'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRESETS } from '../src/templates/presets.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const APP = 'http://localhost:5173'
const PASSWORD = 'templates are great 7'

describe.each(DIALECTS)('JWT templates (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  let browser: BrowserClient
  let sid: string
  let userId: string
  const bapi = (path: string, method = 'GET', body?: unknown) =>
    fetchJson(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })

  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const user = await clerk.users.createUser({
      emailAddress: ['tpl@example.com'],
      password: PASSWORD,
      firstName: 'Tem',
      lastName: 'Plate',
      username: 'templ',
      publicMetadata: { role: 'editor', org: { plan: 'pro' } },
    })
    userId = user.id
    browser = new BrowserClient(server.url, APP)
    sid = await browser.signIn('tpl@example.com', PASSWORD)
  })
  afterAll(() => server.close())

  it('creates, lists, gets, updates and deletes templates with @clerk/backend', async () => {
    const t = await clerk.jwtTemplates.create({
      name: 'crud',
      claims: { role: '{{user.public_metadata.role}}' },
      lifetime: 120,
    })
    expect(t).toMatchObject({
      id: expect.stringMatching(/^jtmp_/),
      name: 'crud',
      lifetime: 120,
      allowedClockSkew: 5,
      customSigningKey: false,
      signingAlgorithm: 'RS256',
    })
    expect((await clerk.jwtTemplates.get(t.id)).claims).toEqual({
      role: '{{user.public_metadata.role}}',
    })
    const list = await clerk.jwtTemplates.list()
    expect(list.totalCount).toBeGreaterThanOrEqual(1)
    expect(list.data.map((x) => x.name)).toContain('crud')
    expect(Array.isArray((await bapi('/v1/jwt_templates')).json)).toBe(true)
    const updated = await clerk.jwtTemplates.update({
      templateId: t.id,
      name: 'crud',
      claims: { r: 1 },
      allowedClockSkew: 30,
    })
    expect(updated).toMatchObject({ claims: { r: 1 }, allowedClockSkew: 30, lifetime: 120 })
    expect(await clerk.jwtTemplates.delete(t.id)).toMatchObject({ id: t.id, deleted: true })
    await expect(clerk.jwtTemplates.get(t.id)).rejects.toMatchObject({ status: 404 })
  })

  it('refuses duplicate names, reserved claims, bad fields and oversized templates — and writes nothing', async () => {
    await bapi('/v1/jwt_templates', 'POST', { name: 'taken', claims: {} })
    const cases: Array<[unknown, number, string, string | undefined]> = [
      [{ name: 'taken', claims: {} }, 422, 'jwt_template_name_exists', 'name'],
      [{ name: 'r', claims: { sub: 'x' } }, 422, 'reserved_claim', 'claims'],
      [{ name: 'r', claims: { exp: 1, sid: 'x' } }, 422, 'reserved_claim', 'claims'],
      [{ name: 'r' }, 422, 'form_param_missing', 'claims'],
      [{ name: 'r', claims: [] }, 422, 'form_param_format_invalid', 'claims'],
      [{ name: 'r', claims: {}, lifetime: 5 }, 422, 'form_param_format_invalid', 'lifetime'],
      // Issue #13 §2: template tokens outlive their session's revocation, so a day at most.
      [{ name: 'r', claims: {}, lifetime: 86_401 }, 422, 'form_param_format_invalid', 'lifetime'],
      [
        { name: 'r', claims: {}, lifetime: 315_360_000 },
        422,
        'form_param_format_invalid',
        'lifetime',
      ],
      [
        { name: 'r', claims: {}, allowed_clock_skew: 301 },
        422,
        'form_param_format_invalid',
        'allowed_clock_skew',
      ],
      [{ name: 'r', claims: { a: 'x'.repeat(9000) } }, 422, 'form_param_format_invalid', 'claims'],
      [
        { name: 'r', claims: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } },
        422,
        'form_param_format_invalid',
        'claims',
      ],
      [
        { name: 'r', claims: {}, custom_signing_key: true, signing_algorithm: 'ES256' },
        422,
        'form_param_missing',
        'signing_key',
      ],
      [
        {
          name: 'r',
          claims: {},
          custom_signing_key: true,
          signing_algorithm: 'ES256',
          signing_key: 'nope',
        },
        422,
        'signing_key_invalid',
        'signing_key',
      ],
      [
        {
          name: 'r',
          claims: {},
          custom_signing_key: true,
          signing_algorithm: 'HS256',
          signing_key: 'too short',
        },
        422,
        'signing_key_invalid',
        'signing_key',
      ],
      [
        {
          name: 'r',
          claims: {},
          custom_signing_key: true,
          signing_algorithm: 'none',
          signing_key: 'x',
        },
        422,
        'form_param_format_invalid',
        'signing_algorithm',
      ],
      [
        { name: 'r', claims: {}, signing_algorithm: 'HS256' },
        422,
        'form_param_value_invalid',
        'signing_algorithm',
      ],
    ]
    const before = (await bapi('/v1/jwt_templates')).json.length
    for (const [body, status, code, param] of cases) {
      const r = await bapi('/v1/jwt_templates', 'POST', body)
      expect(
        [r.status, r.json.errors[0].code, r.json.errors[0].meta.param_name],
        JSON.stringify(body),
      ).toEqual([status, code, param])
    }
    // A P-384 key for ES256 does not fit.
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
    const r = await bapi('/v1/jwt_templates', 'POST', {
      name: 'r',
      claims: {},
      custom_signing_key: true,
      signing_algorithm: 'ES256',
      signing_key: p384,
    })
    expect(r.json.errors[0].code).toBe('signing_key_invalid')
    expect((await bapi('/v1/jwt_templates')).json.length).toBe(before)
  })

  it('bounds a template lifetime at a day and says so, on create and update (#13)', async () => {
    const created = await bapi('/v1/jwt_templates', 'POST', {
      name: 'partner',
      claims: {},
      lifetime: 10 * 365 * 86_400,
    })
    expect(created.status).toBe(422)
    expect(created.json.errors[0].long_message).toMatch(/at most 86400 seconds \(24 hours\)/)
    const ok = await bapi('/v1/jwt_templates', 'POST', {
      name: 'partner',
      claims: {},
      lifetime: 86_400,
    })
    expect(ok.status).toBe(200)
    const longer = await bapi(`/v1/jwt_templates/${ok.json.id}`, 'PATCH', { lifetime: 86_401 })
    expect(longer.status).toBe(422)
    expect(longer.json.errors[0].meta.param_name).toBe('lifetime')
    expect((await bapi(`/v1/jwt_templates/${ok.json.id}`)).json.lifetime).toBe(86_400)
    await bapi(`/v1/jwt_templates/${ok.json.id}`, 'DELETE')
  })

  it('mints template tokens with the standard claims, lifetime and clock skew (Frontend and Backend API)', async () => {
    await bapi('/v1/jwt_templates', 'POST', {
      name: 'shape',
      claims: {
        aud: 'my-api',
        role: '{{user.public_metadata.role}}',
        greeting: 'Hi {{user.first_name}}',
        plan: '{{user.public_metadata.org.plan}}',
      },
      lifetime: 300,
      allowed_clock_skew: 20,
    })
    const r = await browser.post(`/v1/client/sessions/${sid}/tokens/shape`)
    expect(r.status).toBe(200)
    expect(r.json.object).toBe('token')
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`))
    const { payload, protectedHeader } = await jwtVerify(r.json.jwt, jwks, {
      issuer: server.url,
      audience: 'my-api',
    })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'azp',
      'exp',
      'greeting',
      'iat',
      'iss',
      'jti',
      'nbf',
      'plan',
      'role',
      'sub',
    ])
    expect(payload).toMatchObject({
      sub: userId,
      azp: APP,
      role: 'editor',
      greeting: 'Hi Tem',
      plan: 'pro',
    })
    expect(payload.exp! - payload.iat!).toBe(300)
    expect(payload.iat! - payload.nbf!).toBe(20)

    const viaBapi = await bapi(`/v1/sessions/${sid}/tokens/shape`, 'POST')
    expect(viaBapi.status).toBe(200)
    expect(decodeJwt(viaBapi.json.jwt)).toMatchObject({ role: 'editor', sub: userId })
    expect((await clerk.sessions.getToken(sid, 'shape')).jwt.split('.')).toHaveLength(3)
  })

  it('an unknown template is a 404 with a Clerk error code; a revoked session mints none', async () => {
    let r = await browser.post(`/v1/client/sessions/${sid}/tokens/nope`)
    expect(r.status).toBe(404)
    expect(r.json.errors[0].code).toBe('jwt_template_not_found')
    r = await bapi(`/v1/sessions/${sid}/tokens/nope`, 'POST')
    expect(r.json.errors[0].code).toBe('jwt_template_not_found')
    const other = new BrowserClient(server.url, APP)
    const s2 = await other.signIn('tpl@example.com', PASSWORD)
    await clerk.sessions.revokeSession(s2)
    expect((await other.post(`/v1/client/sessions/${s2}/tokens/shape`)).status).toBe(401)
  })

  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['RS384', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
    ['RS512', () => generateKeyPairSync('rsa', { modulusLength: 3072 })],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ES384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['EdDSA', () => generateKeyPairSync('ed25519')],
  ] as const)('a custom %s key signs its template and never reaches the JWKS', async (alg, gen) => {
    const { privateKey, publicKey } = gen()
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const name = `custom-${alg.toLowerCase()}`
    const created = await bapi('/v1/jwt_templates', 'POST', {
      name,
      claims: { k: alg },
      custom_signing_key: true,
      signing_algorithm: alg,
      signing_key: pem,
    })
    expect(created.status).toBe(200)
    expect(created.json).not.toHaveProperty('signing_key')
    expect(created.json).toMatchObject({ custom_signing_key: true, signing_algorithm: alg })
    const jwt = (await browser.post(`/v1/client/sessions/${sid}/tokens/${name}`)).json.jwt
    expect(decodeProtectedHeader(jwt).alg).toBe(alg)
    const { payload } = await jwtVerify(jwt, publicKey, { issuer: server.url })
    expect(payload).toMatchObject({ k: alg, sub: userId })
    const jwksText = JSON.stringify((await fetchJson(`${server.url}/.well-known/jwks.json`)).json)
    expect(jwksText).not.toContain(
      publicKey.export({ format: 'jwk' }).x ?? publicKey.export({ format: 'jwk' }).n,
    )
    // Sealed at rest.
    const row = await server.db.db
      .selectFrom('jwt_templates')
      .select('signing_key_enc')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    expect(row.signing_key_enc).not.toContain('PRIVATE KEY')
  })

  it('a custom HS256 secret signs its template; the JWKS never carries symmetric material', async () => {
    const secret = 'a-shared-hmac-secret-of-32-bytes-or-more!'
    await bapi('/v1/jwt_templates', 'POST', {
      name: 'hmac',
      claims: {},
      custom_signing_key: true,
      signing_algorithm: 'HS256',
      signing_key: secret,
    })
    const jwt = (await browser.post(`/v1/client/sessions/${sid}/tokens/hmac`)).json.jwt
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
    })
    expect(payload.sub).toBe(userId)
    const jwks = (await fetchJson(`${server.url}/.well-known/jwks.json`)).json
    for (const k of jwks.keys) {
      expect(k.kty).toBe('RSA')
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(priv)
    }
  })

  it('session-token claims are merged into every default session token; reserved ones are refused', async () => {
    expect((await bapi('/v1/instance/session_token')).json).toEqual({
      object: 'session_token_settings',
      claims: {},
    })
    let r = await bapi('/v1/instance/session_token', 'PATCH', { claims: { sid: 'forged' } })
    expect(r.status).toBe(422)
    expect(r.json.errors[0].code).toBe('reserved_claim')
    r = await bapi('/v1/instance/session_token', 'PATCH', {
      claims: {
        email: '{{user.primary_email_address}}',
        meta: { role: '{{user.public_metadata.role}}' },
      },
    })
    expect(r.status).toBe(200)
    const payload = decodeJwt(await browser.token(sid))
    expect(payload).toMatchObject({
      email: 'tpl@example.com',
      meta: { role: 'editor' },
      sid,
      sub: userId,
      v: 2,
    })
    await bapi('/v1/instance/session_token', 'PATCH', { claims: {} })
    expect(decodeJwt(await browser.token(sid))).not.toHaveProperty('email')
  })

  it('bounds the token size with a clear error', async () => {
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { big: 'x'.repeat(5000) } })
    await bapi('/v1/jwt_templates', 'POST', {
      name: 'big',
      claims: { big: '{{user.public_metadata.big}}' },
    })
    const r = await browser.post(`/v1/client/sessions/${sid}/tokens/big`)
    expect(r.status).toBe(422)
    expect(r.json.errors[0].code).toBe('token_too_large')
    await clerk.users.updateUserMetadata(userId, { publicMetadata: { big: null } })
  })

  it("the convex preset is Clerk's exact claims, in one Backend API call", async () => {
    const r = await bapi('/v1/jwt_templates/presets/convex', 'POST')
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ name: 'convex', lifetime: 60, signing_algorithm: 'RS256' })
    expect(r.json.claims).toEqual(
      JSON.parse(
        '{"aud":"convex","name":"{{user.full_name}}","email":"{{user.primary_email_address}}","picture":"{{user.image_url}}","nickname":"{{user.username}}","given_name":"{{user.first_name}}","updated_at":"{{user.updated_at}}","family_name":"{{user.last_name}}","phone_number":"{{user.primary_phone_number}}","email_verified":"{{user.email_verified}}","phone_number_verified":"{{user.phone_number_verified}}"}',
      ),
    )
    expect(r.json.claims).toEqual(PRESETS.convex.claims)
    expect((await bapi('/v1/jwt_templates/presets/convex', 'POST')).json.errors[0].code).toBe(
      'jwt_template_name_exists',
    )
    expect((await bapi('/v1/jwt_templates/presets/nope', 'POST')).status).toBe(422)
  })
})
