import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { covers, routePatterns } from './helpers/routes.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** JSON nested 5,000 levels: recursive code after the parser (zod, JSON.stringify) overflowed. */
const DEEP_OBJECT = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`
const DEEP_ARRAY = `${'['.repeat(5000)}${']'.repeat(5000)}`
const JSON_FIELDS = ['public_metadata', 'private_metadata', 'unsafe_metadata', 'claims']
/** Every field a route keeps as JSON, each holding a 5,000-level value. */
const DEEP_FIELDS = JSON.stringify({
  ...Object.fromEntries([...JSON_FIELDS, 'session_token_claims'].map((k) => [k, { a: 0 }])),
  name: 'deep',
}).replaceAll('{"a":0}', `{"a":${DEEP_ARRAY}}`)
/** A form's JSON-encoded metadata field (sign-up's `unsafe_metadata`), 5,000 levels deep. */
const DEEP_FORM = `email_address=deep%40example.com&password=deep+enough+1&unsafe_metadata=${encodeURIComponent(`{"a":${DEEP_ARRAY}}`)}`

/** Hostile inputs, sent to every route: each must get a 4xx (or a 2xx), never a 500. */
const BODIES: Array<[string, string]> = [
  ['application/json', DEEP_OBJECT],
  ['application/json', DEEP_FIELDS],
  ['application/x-www-form-urlencoded', DEEP_FORM],
  ['application/x-www-form-urlencoded', `identifier${'[a]'.repeat(5000)}=x&password=deep`],
  ['application/json', '{"email_address": {"$gt": ""}, "password": ["a", "b"]}'],
  ['application/json', '{"__proto__": {"admin": true}}'],
  ['application/json', '{"constructor": {"prototype": {"x": 1}}}'],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"just a string"'],
  ['application/json', '12345678901234567890123456789'],
  ['application/json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
  ['application/json', '{"first_name": "\\u0000\\ud800", "limit": -1, "offset": 1e308}'],
  [
    'application/json',
    `{"public_metadata": {"a": {"b": {"c": null}}}, "username": "${'u'.repeat(5000)}"}`,
  ],
  [
    'application/x-www-form-urlencoded',
    'identifier[a]=b&password[]=1&password[]=2&strategy=password',
  ],
  ['application/x-www-form-urlencoded', 'email_address=%ZZ&password=%00'],
  ['application/x-www-form-urlencoded', `identifier=${'x'.repeat(5000)}`],
  ['text/plain', 'hello'],
  ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
  ['multipart/form-data', 'no boundary at all'],
  [
    'multipart/form-data; boundary=y',
    '--y\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nnot a png\r\n--y--\r\n',
  ],
  ['application/octet-stream', '\u0000\u0001 garbage ====='],
]

const QUERIES = [
  '',
  '?limit=99999999999999999999',
  '?offset=-5&limit=0',
  '?order_by=;drop',
  '?user_id[]=a&status=weird',
  '?paginated=maybe',
  '?_method=PATCH',
  '?_method=DELETE',
]

/** The Frontend and Backend API routes, swept with the secret key and every query. */
const apiPaths = (sid: string, userId: string, templateId: string) => [
  '/v1/environment',
  '/v1/client',
  '/v1/client/sign_ins',
  '/v1/client/sign_ins/sia_x',
  '/v1/client/sign_ins/sia_x/attempt_first_factor',
  '/v1/client/sign_ins/sia_x/prepare_first_factor',
  '/v1/client/sign_ins/sia_x/reset_password',
  '/v1/client/sign_ins/sia_x/prepare_second_factor',
  '/v1/client/sign_ins/sia_x/attempt_second_factor',
  '/v1/client/sign_ups',
  '/v1/client/sign_ups/sua_x',
  '/v1/client/sign_ups/sua_x/prepare_verification',
  '/v1/client/sign_ups/sua_x/attempt_verification',
  `/v1/client/sessions/${sid}/touch`,
  `/v1/client/sessions/${sid}/tokens`,
  `/v1/client/sessions/${sid}/tokens/convex`,
  `/v1/client/sessions/${sid}/remove`,
  `/v1/client/sessions/${sid}/end`,
  `/v1/client/sessions/${sid}/verify`,
  `/v1/client/sessions/${sid}/verify/prepare_first_factor`,
  `/v1/client/sessions/${sid}/verify/attempt_first_factor`,
  `/v1/client/sessions/${sid}/verify/prepare_second_factor`,
  `/v1/client/sessions/${sid}/verify/attempt_second_factor`,
  '/v1/client/sessions',
  '/v1/users',
  '/v1/users/count',
  `/v1/users/${userId}`,
  `/v1/users/${userId}/metadata`,
  `/v1/users/${userId}/verify_password`,
  `/v1/users/${userId}/ban`,
  `/v1/users/${userId}/unban`,
  `/v1/users/${userId}/lock`,
  `/v1/users/${userId}/unlock`,
  `/v1/users/${userId}/mfa`,
  `/v1/users/${userId}/totp`,
  `/v1/users/${userId}/backup_code`,
  `/v1/users/${userId}/passkeys/pk_x`,
  `/v1/users/${userId}/oauth_access_tokens/oauth_custom_x`,
  `/v1/users/${userId}/external_accounts/eac_x`,
  '/v1/sessions',
  `/v1/sessions/${sid}`,
  `/v1/sessions/${sid}/tokens`,
  `/v1/sessions/${sid}/tokens/convex`,
  `/v1/sessions/${sid}/revoke`,
  '/v1/instance',
  '/v1/instance/paths',
  '/v1/instance/session_token',
  '/v1/instance/session_token/preview',
  '/v1/instance/restrictions',
  '/v1/instance/user_settings',
  '/v1/instance/stats',
  // Session lifetimes and the lockout set through the API (issue #20).
  '/v1/instance/session_settings',
  '/v1/instance/user_lockout',
  // The dashboard's Backend API additions (issue #20).
  '/v1/operators',
  `/v1/operators/${userId}`,
  '/v1/operator_sessions',
  '/v1/operator_sessions/current',
  '/v1/audit_events',
  '/v1/secret_keys',
  '/v1/secret_keys/ak_x',
  '/v1/allowlist_identifiers',
  '/v1/allowlist_identifiers/alid_x',
  '/v1/blocklist_identifiers',
  '/v1/blocklist_identifiers/blid_x',
  '/v1/email_addresses',
  '/v1/email_addresses/idn_x',
  '/v1/jwks',
  '/v1/jwt_templates',
  `/v1/jwt_templates/${templateId}`,
  '/v1/jwt_templates/presets/convex',
  '/v1/jwt_templates/preview',
  '/v1/jwt_templates/presets',
  '/v1/me',
  '/v1/me/change_password',
  '/v1/me/metadata',
  '/v1/me/profile_image',
  '/v1/me/email_addresses',
  '/v1/me/email_addresses/',
  '/v1/me/email_addresses/idn_x',
  '/v1/me/email_addresses/idn_x/prepare_verification',
  '/v1/me/email_addresses/idn_x/attempt_verification',
  '/v1/me/totp',
  '/v1/me/totp/attempt_verification',
  '/v1/me/backup_codes',
  '/v1/me/passkeys',
  '/v1/me/external_accounts',
  '/v1/me/external_accounts/eac_x',
  '/v1/me/external_accounts/eac_x/reauthorize',
  '/v1/me/passkeys/pk_x',
  '/v1/me/passkeys/pk_x/attempt_verification',
  '/v1/me/sessions/active',
  `/v1/me/sessions/${sid}/revoke`,
  '/.well-known/jwks.json',
]

/** The OAuth provider, the hosted pages and the rest, swept with three kinds of credentials. */
const otherPaths = [
  '/oauth/authorize',
  '/oauth/authorize?client_id=x&redirect_uri=javascript:alert(1)&response_type=code',
  '/oauth/authorize/not-a-uid',
  '/oauth/token',
  '/oauth/token_info',
  '/oauth/token/revoke',
  '/oauth/userinfo',
  '/oauth/register',
  '/oauth/jwks',
  '/oauth/interaction/abc',
  '/oauth/interaction/..%2F..',
  '/sign-in',
  '/sign-in?redirect_url=javascript:alert(1)',
  '/v1/verify',
  '/v1/oauth_callback',
  '/v1/oauth_connections',
  '/v1/oauth_connections/oac_x',
  '/v1/saml_connections',
  '/v1/saml_connections/samlc_x',
  '/v1/enterprise_connections',
  '/v1/enterprise_connections/entc_x',
  '/v1/enterprise_connections/samlc_x',
  '/v1/saml/metadata/samlc_x.xml',
  '/v1/saml/metadata/x',
  '/v1/saml/acs/samlc_x',
  '/v1/saml/acs/x',
  '/v1/saml/idp_initiated',
  '/v1/saml/idp_initiated?token=x',
  '/v1/webhooks/endpoints',
  '/v1/webhooks/endpoints/whe_x',
  '/v1/webhooks/endpoints/whe_x/secret',
  '/v1/webhooks/endpoints/whe_x/rotate_secret',
  '/v1/webhooks/endpoints/whe_x/test',
  '/v1/webhooks/endpoints/whe_x/replay',
  '/v1/webhooks/endpoints/whe_x/deliveries',
  '/v1/webhooks/stats',
  '/v1/verify?token=x',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration/oauth',
  '/.well-known/oauth-authorization-server/oauth',
  '/oauth/.well-known/openid-configuration',
  '/',
  '/v1/health',
  '/v1/oauth_applications',
  '/v1/oauth_applications/oa_x',
  '/v1/oauth_applications/oa_x/rotate_secret',
  '/v1/instance/oauth_application_settings',
  '/sign-up',
  '/sign-up?redirect_url=javascript:alert(1)',
  // The hosted pages' steps after the first form (issue #16).
  '/sign-up/verify',
  '/sign-up/verify?sign_up_id=sua_x&redirect_url=javascript:alert(1)',
  '/sign-up/verify/resend',
  '/sign-in/forgot-password',
  '/sign-in/forgot-password?identifier=%00&redirect_url=javascript:alert(1)',
  '/sign-in/email-code',
  '/sign-in/reset',
  '/sign-in/reset/resend',
  '/sign-in/code',
  '/sign-in/code/resend',
  '/sign-in/sso-callback',
  '/sign-in/sso-callback?redirect_url=javascript:alert(1)',
  '/sign-in/new-password',
  '/sign-in/new-password?sign_in_id=sia_x',
  '/user',
  // The operator dashboard (issue #20) and the paths that lead to it.
  '/admin',
  '/dashboard',
  '/dashboard/',
  '/dashboard/users/user_x?q=%00',
  '/dashboard/assets/missing-abc123.js',
  '/dashboard/..%2F..%2Fpackage.json',
  '/dashboard/%00',
  '/dashboard/%E0%A4%A',
  '/npm/@latchkey/js/dist/latchkey.browser.js',
  '/images/avatar_placeholder.svg',
  '/images/img_x',
  '/images/..%2F..',
  '/v1/client/handshake',
  '/v1/client/handshake?redirect_url=javascript:alert(1)&format=nonce',
  '/v1/client/handshake?redirect_url=http%3A%2F%2F127.0.0.1%2F&format=token&__clerk_db_jwt=%00',
  '/v1/clients/handshake_payload',
  '/v1/clients/handshake_payload?nonce=x',
]

describe.each(DIALECTS)('no input produces a 500 (%s)', (dialect) => {
  let server: TestServer
  let sid: string
  let userId: string
  let templateId: string
  beforeAll(async () => {
    server = await createTestServer(dialect)
    const b = new BrowserClient(server.url)
    sid = await b.signUp('fuzz@example.com', 'fuzzing the routes 1')
    userId = (await b.get('/v1/client')).json.response.sessions[0].user.id
    const bapi = { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' }
    const template = await fetchJson(`${server.url}/v1/jwt_templates/presets/convex`, {
      method: 'POST',
      headers: bapi,
      body: '{}',
    })
    templateId = template.json.id
    // Dynamic registration on, so that /oauth/register reads (and must survive) every body.
    const settings = await fetch(`${server.url}/v1/instance/oauth_application_settings`, {
      method: 'PATCH',
      headers: bapi,
      body: '{"dynamic_oauth_client_registration":true}',
    })
    expect(settings.status).toBe(200)
  })
  afterAll(() => server.close())

  it('the sweeps below reach every route the server has', () => {
    const swept = [...apiPaths(sid, userId, templateId), ...otherPaths]
    const routes = routePatterns(server.app)
    expect(routes).toContain('POST /v1/users')
    expect(routes).toContain('PATCH /v1/me')
    expect(
      routes.filter((route) => !swept.some((p) => covers(route.split(' ')[1] ?? '', p))),
    ).toEqual([])
  })

  it('every route, every hostile body and query', async () => {
    const paths = apiPaths(sid, userId, templateId)
    const failures: string[] = []
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
        for (const query of QUERIES) {
          for (const [type, body] of method === 'GET' ? [['', ''] as [string, string]] : BODIES) {
            const headers: Record<string, string> = { authorization: `Bearer ${server.secretKey}` }
            if (type) headers['content-type'] = type
            const res = await fetch(`${server.url}${path}${query}`, {
              method,
              headers,
              ...(method === 'GET' ? {} : { body }),
            })
            const text = await res.text()
            if (res.status >= 500)
              failures.push(
                `${method} ${path}${query} [${type}] ${body.slice(0, 40)} → ${res.status} ${text.slice(0, 200)}`,
              )
            else if (res.status >= 400)
              expect(JSON.parse(text).errors[0].code).toEqual(expect.any(String))
          }
        }
      }
    }
    expect(failures).toEqual([])
  }, 600_000)

  it('the OAuth endpoints, pages and Backend API too (their errors are RFC 6749 or HTML)', async () => {
    const paths = otherPaths
    const failures: string[] = []
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
        for (const auth of [`Bearer ${server.secretKey}`, 'Basic Og==', undefined]) {
          for (const [type, body] of method === 'GET' ? [['', ''] as [string, string]] : BODIES) {
            const headers: Record<string, string> = auth ? { authorization: auth } : {}
            if (type) headers['content-type'] = type
            const res = await fetch(`${server.url}${path}`, {
              method,
              headers,
              redirect: 'manual',
              ...(method === 'GET' ? {} : { body }),
            })
            const text = await res.text()
            if (res.status >= 500)
              failures.push(
                `${method} ${path} [${type}] ${body.slice(0, 40)} → ${res.status} ${text.slice(0, 200)}`,
              )
          }
        }
      }
    }
    expect(failures).toEqual([])
  }, 300_000)

  it('the account routes as a signed-in browser (cookie), with every body shape', async () => {
    const b = new BrowserClient(server.url)
    const own = await b.signUp('fuzz-me@example.com', 'fuzzing the routes 2')
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const paths = [
      '/v1/me',
      '/v1/me?_clerk_session_id=sess_x',
      '/v1/me?_clerk_session_id[]=1',
      '/v1/me/change_password',
      '/v1/me/metadata',
      '/v1/me/profile_image',
      '/v1/me/email_addresses',
      '/v1/me/email_addresses/idn_x',
      '/v1/me/email_addresses/..%2F',
      '/v1/me/sessions/active',
      `/v1/me/sessions/${own}/revoke`,
      '/v1/me/sessions/sess_x/revoke',
      '/v1/me/sessions/..%2F/revoke',
    ]
    const failures: string[] = []
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PATCH']) {
        for (const [type, body] of method === 'GET' ? [['', ''] as [string, string]] : BODIES) {
          const headers: Record<string, string> = { cookie }
          if (type) headers['content-type'] = type
          const res = await fetch(`${server.url}${path}`, {
            method,
            headers,
            ...(method === 'GET' ? {} : { body }),
          })
          const text = await res.text()
          if (res.status >= 500)
            failures.push(
              `${method} ${path} [${type}] ${body.slice(0, 40)} → ${res.status} ${text.slice(0, 200)}`,
            )
          else if (res.status >= 400)
            expect(JSON.parse(text).errors[0].code).toEqual(expect.any(String))
        }
      }
    }
    expect(failures).toEqual([])
  }, 300_000)
})
