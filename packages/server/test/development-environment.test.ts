import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue #15: clerk-js with a pk_test_ key loads the environment with PATCH /v1/environment and
 * then runs Clerk's development-instance code, which cannot build a URL on another origin
 * without a dev browser it never gets from Latchkey. The redirect defaults in that answer stay
 * on the calling app's origin; what the operator configured is kept; nothing is stored.
 */
const APP = 'http://127.0.0.1:5173'

describe.each(DIALECTS)('PATCH /v1/environment for a development instance (%s)', (dialect) => {
  let server: TestServer
  beforeAll(async () => {
    server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
  })
  afterAll(() => server.close())

  const display = async (method: 'GET' | 'PATCH', origin?: string) => {
    const res = await fetch(
      `${server.url}/v1/environment${method === 'PATCH' ? '?_method=PATCH' : ''}`,
      { method: method === 'PATCH' ? 'POST' : 'GET', headers: origin ? { origin } : {} },
    )
    expect(res.status).toBe(200)
    return ((await res.json()) as { display_config: Record<string, unknown> }).display_config
  }

  it("points the defaults after signing in, up and out at the caller's origin", async () => {
    const dev = await display('PATCH', APP)
    for (const key of [
      'home_url',
      'after_sign_in_url',
      'after_sign_up_url',
      'after_sign_out_one_url',
      'after_sign_out_all_url',
      'after_switch_session_url',
      'logo_link_url',
    ])
      expect(dev[key], key).toBe(`${APP}/`)
    // The pages themselves are Latchkey's hosted pages, as in the GET.
    const prod = await display('GET', APP)
    expect(dev.sign_in_url).toBe(prod.sign_in_url)
    expect(prod.after_sign_out_one_url).toBe(`${server.url}/sign-in`)
    // Nothing was stored: the GET still answers the instance's own defaults.
    expect(prod.home_url).toBe(server.url)
  })

  it('keeps what the operator configured, and is refused for an origin that is not allowed', async () => {
    const set = await fetch(`${server.url}/v1/instance/paths`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ after_sign_out_url: `${APP}/goodbye` }),
    })
    expect(set.status).toBe(200)
    const dev = await display('PATCH', APP)
    expect(dev.after_sign_out_one_url).toBe(`${APP}/goodbye`)
    expect(dev.after_sign_in_url).toBe(`${APP}/`)
    const stranger = await fetch(`${server.url}/v1/environment?_method=PATCH`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(stranger.status).toBe(403)
    expect(((await stranger.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(
      'origin_invalid',
    )
  })
})
