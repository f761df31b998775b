import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/** `levels` objects, one inside the other, around `inner`. */
const nested = (levels: number, inner = '1') =>
  `${'{"a":'.repeat(levels)}${inner}${'}'.repeat(levels)}`

/*
 * Issue "Bad input and secrets at rest", item 1: 5,000 levels of JSON in a body overflowed the
 * stack of whatever recursed over it first (zod, JSON.stringify, the metadata merge), a 500.
 * Nesting is bounded where bodies are parsed; the sweep in no-500.test.ts sends 5,000 levels to
 * every route. These pin the bound itself.
 */
describe.each(DIALECTS)('JSON nesting is bounded at 64 levels (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect)
  })
  afterAll(() => server.close())

  const createUser = (body: string) =>
    fetchJson(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body,
    })

  it('64 levels are accepted and stored as sent; 65 are a 400 that writes nothing', async () => {
    // The body is one level; 63 in public_metadata make 64.
    const ok = await createUser(
      `{"email_address":["deep64@example.com"],"public_metadata":${nested(63)}}`,
    )
    expect(ok.status).toBe(200)
    let value = ok.json.public_metadata
    for (let i = 0; i < 62; i++) value = value.a
    expect(value).toEqual({ a: 1 })

    const before = await server.snapshot()
    const tooDeep = await createUser(
      `{"email_address":["deep65@example.com"],"public_metadata":${nested(64)}}`,
    )
    expect(tooDeep.status).toBe(400)
    expect(tooDeep.json.errors[0]).toMatchObject({
      code: 'request_body_invalid',
      long_message: 'The request body nests objects and arrays deeper than 64 levels.',
    })
    expect(await server.snapshot()).toEqual(before)
  })

  it('5,000 levels in a JWT template or in user metadata are the same 400', async () => {
    for (const [path, body] of [
      ['/v1/jwt_templates', `{"name":"deep","claims":${nested(5000)}}`],
      ['/v1/users', `{"email_address":["deep@example.com"],"public_metadata":${nested(5000)}}`],
      ['/v1/users', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ] as const) {
      const r = await fetchJson(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body,
      })
      expect([path, r.status, r.json.errors[0].code]).toEqual([path, 400, 'request_body_invalid'])
    }
  })

  it('brackets inside strings, escaped quotes included, do not count', async () => {
    const text = `\\" ${'{['.repeat(100)} \\\\`
    const r = await createUser(
      JSON.stringify({ email_address: ['strings@example.com'], public_metadata: { text } }),
    )
    expect(r.status).toBe(200)
    expect(r.json.public_metadata.text).toBe(text)
  })

  it("a form's JSON-encoded metadata is bounded the same way (422 naming the field)", async () => {
    const before = await server.snapshot()
    const r = await new BrowserClient(server.url).post('/v1/client/sign_ups', {
      email_address: 'deep-form@example.com',
      password: 'deep enough passphrase 1',
      unsafe_metadata: nested(5000),
    })
    expect(r.status).toBe(422)
    expect(r.json.errors[0]).toMatchObject({
      code: 'form_param_format_invalid',
      meta: { param_name: 'unsafe_metadata' },
    })
    expect(await server.snapshot()).toEqual(before)
    const ok = await new BrowserClient(server.url).post('/v1/client/sign_ups', {
      email_address: 'deep-form@example.com',
      password: 'deep enough passphrase 1',
      unsafe_metadata: nested(64),
    })
    expect(ok.status).toBe(200)
  })
})
