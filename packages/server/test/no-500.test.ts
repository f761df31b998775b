import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** Hostile inputs, sent to every route: each must get a 4xx (or a 2xx), never a 500. */
const BODIES: Array<[string, string]> = [
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

describe.each(DIALECTS)('no input produces a 500 (%s)', (dialect) => {
  let server: TestServer
  let sid: string
  let userId: string
  beforeAll(async () => {
    server = await createTestServer(dialect)
    const b = new BrowserClient(server.url)
    sid = await b.signUp('fuzz@example.com', 'fuzzing the routes 1')
    userId = (await b.get('/v1/client')).json.response.sessions[0].user.id
  })
  afterAll(() => server.close())

  it('every route, every hostile body and query', async () => {
    const routes = server.app.printRoutes({ commonPrefix: false })
    expect(routes).toContain('/v1/users')
    const paths = [
      '/v1/environment',
      '/v1/client',
      '/v1/client/sign_ins',
      '/v1/client/sign_ins/sia_x',
      '/v1/client/sign_ins/sia_x/attempt_first_factor',
      '/v1/client/sign_ups',
      `/v1/client/sessions/${sid}/touch`,
      `/v1/client/sessions/${sid}/tokens`,
      `/v1/client/sessions/${sid}/remove`,
      '/v1/client/sessions',
      '/v1/users',
      '/v1/users/count',
      `/v1/users/${userId}`,
      `/v1/users/${userId}/metadata`,
      `/v1/users/${userId}/verify_password`,
      `/v1/users/${userId}/ban`,
      '/v1/sessions',
      `/v1/sessions/${sid}`,
      `/v1/sessions/${sid}/tokens`,
      '/v1/instance',
      '/v1/instance/paths',
      '/v1/me',
      '/v1/me/change_password',
      '/v1/me/sessions/active',
      `/v1/me/sessions/${sid}/revoke`,
      '/.well-known/jwks.json',
    ]
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
  }, 120_000)

  it('the OAuth endpoints, pages and Backend API too (their errors are RFC 6749 or HTML)', async () => {
    const paths = [
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
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
      '/v1/oauth_applications',
      '/v1/oauth_applications/oa_x',
      '/v1/oauth_applications/oa_x/rotate_secret',
      '/v1/instance/oauth_application_settings',
      '/sign-up',
      '/sign-up?redirect_url=javascript:alert(1)',
      '/user',
      '/npm/@latchkey/js/dist/latchkey.browser.js',
    ]
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
  }, 120_000)

  it('the account routes as a signed-in browser (cookie), with every body shape', async () => {
    const b = new BrowserClient(server.url)
    const own = await b.signUp('fuzz-me@example.com', 'fuzzing the routes 2')
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const paths = [
      '/v1/me',
      '/v1/me?_clerk_session_id=sess_x',
      '/v1/me?_clerk_session_id[]=1',
      '/v1/me/change_password',
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
  }, 120_000)
})
