import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserAgent } from './helpers/browser-agent.js'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Issue #13 §3, session fixation. Anyone can obtain a client token without an account (an
 * unfinished sign-in creates one). Planted in a victim's browser — a sibling subdomain's cookie,
 * plain HTTP, another port on localhost — the victim used to sign in on it and the attacker's copy
 * held the victim's session. Every sign-in and sign-up now issues a fresh token and retires the
 * old one; the browser's other sessions carry over.
 */

const APP = 'http://localhost:5173'
const PASSWORD = 'correct horse battery staple'

/** An attacker's client token, obtained without an account: an unfinished sign-in. */
async function attackerToken(server: TestServer): Promise<string> {
  const attacker = new BrowserClient(server.url, APP)
  const r = await attacker.post('/v1/client/sign_ins', { identifier: 'victim@example.com' })
  expect(r.status).toBe(200)
  const token = attacker.cookies.get('__client')
  expect(token).toEqual(expect.any(String))
  return token as string
}

/** What the attacker's copy of the token opens: the sessions of its client. */
async function sessionsOf(server: TestServer, token: string) {
  const r = await fetchJson(`${server.url}/v1/client`, {
    headers: { origin: APP, cookie: `__client=${token}` },
  })
  return { status: r.status, sessions: (r.json?.response?.sessions ?? []) as unknown[] }
}

describe.each(DIALECTS)(
  'a planted client token never holds the victim’s session (%s)',
  (dialect) => {
    let server: TestServer

    beforeAll(async () => {
      server = await createTestServer(dialect, { env: { LATCHKEY_ALLOWED_ORIGINS: APP } })
      const created = await fetchJson(`${server.url}/v1/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ email_address: ['victim@example.com'], password: PASSWORD }),
      })
      expect(created.status).toBe(200)
    })
    afterAll(() => server.close())

    /** A victim's browser with the attacker's token planted in its cookie jar. */
    const plantedVictim = async () => {
      const planted = await attackerToken(server)
      const victim = new BrowserClient(server.url, APP)
      victim.cookies.set('__client', planted)
      return { planted, victim }
    }

    it('one-call sign-in: a new token, the planted one retired', async () => {
      const { planted, victim } = await plantedVictim()
      const sid = await victim.signIn('victim@example.com', PASSWORD)
      expect(victim.cookies.get('__client')).not.toBe(planted)
      expect(
        (await victim.get('/v1/client')).json.response.sessions.map((s: { id: string }) => s.id),
      ).toEqual([sid])
      expect((await sessionsOf(server, planted)).sessions).toEqual([])
      const stolen = await fetchJson(`${server.url}/v1/client/sessions/${sid}/tokens`, {
        method: 'POST',
        headers: { origin: APP, cookie: `__client=${planted}` },
      })
      expect(stolen.status).toBeGreaterThanOrEqual(400)
    })

    it('two-step sign-in (attempt_first_factor) on the planted client: rotated at completion', async () => {
      const { planted, victim } = await plantedVictim()
      const created = await victim.post('/v1/client/sign_ins', { identifier: 'victim@example.com' })
      expect(created.status).toBe(200)
      const attempt = await victim.post(
        `/v1/client/sign_ins/${created.json.response.id}/attempt_first_factor`,
        { strategy: 'password', password: PASSWORD },
      )
      expect(attempt.status).toBe(200)
      expect(attempt.json.response.status).toBe('complete')
      expect(victim.cookies.get('__client')).not.toBe(planted)
      expect((await victim.get('/v1/client')).json.response.sessions).toHaveLength(1)
      expect((await sessionsOf(server, planted)).sessions).toEqual([])
    })

    it('sign-up on a planted client: rotated', async () => {
      const { planted, victim } = await plantedVictim()
      await victim.signUp('newcomer@example.com', PASSWORD)
      expect(victim.cookies.get('__client')).not.toBe(planted)
      expect((await sessionsOf(server, planted)).sessions).toEqual([])
    })

    it('a browser’s other sessions carry over to its new token', async () => {
      const b = new BrowserClient(server.url, APP)
      const first = await b.signUp('multi@example.com', PASSWORD)
      const before = b.cookies.get('__client')
      const second = await b.signIn('victim@example.com', PASSWORD)
      expect(b.cookies.get('__client')).not.toBe(before)
      const ids = (await b.get('/v1/client')).json.response.sessions.map(
        (s: { id: string }) => s.id,
      )
      expect(ids.sort()).toEqual([first, second].sort())
      expect((await sessionsOf(server, before as string)).sessions).toEqual([])
    })

    it('a native client (Authorization header) receives its new token in the response header', async () => {
      const planted = await attackerToken(server)
      const r = await fetch(`${server.url}/v1/client/sign_ins?_is_native=1`, {
        method: 'POST',
        headers: {
          authorization: planted,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ identifier: 'victim@example.com', password: PASSWORD }),
      })
      expect(r.status).toBe(200)
      const fresh = r.headers.get('authorization')
      expect(fresh).toEqual(expect.any(String))
      expect(fresh).not.toBe(planted)
      const mine = await fetchJson(`${server.url}/v1/client?_is_native=1`, {
        headers: { authorization: fresh as string },
      })
      expect(mine.json.response.sessions).toHaveLength(1)
      const theirs = await fetchJson(`${server.url}/v1/client?_is_native=1`, {
        headers: { authorization: planted },
      })
      expect(theirs.json?.response?.sessions ?? []).toEqual([])
    })

    it('the hosted /sign-in form: rotated', async () => {
      const planted = await attackerToken(server)
      const agent = new BrowserAgent(server.url)
      agent.jar.push({ name: '__client', value: planted, path: '/' })
      const page = await agent.goto(`${server.url}/sign-in`)
      const done = await agent.fill(page, { identifier: 'victim@example.com', password: PASSWORD })
      expect(done.status).toBeLessThan(400)
      const mine = agent.jar.find((c) => c.name === '__client')?.value
      expect(mine).toEqual(expect.any(String))
      expect(mine).not.toBe(planted)
      expect((await sessionsOf(server, mine as string)).sessions).toHaveLength(1)
      expect((await sessionsOf(server, planted)).sessions).toEqual([])
    })
  },
)

describe.each(DIALECTS)('over https the client cookie is __Host- (%s)', (dialect) => {
  let server: TestServer
  let direct: string
  const PUBLIC = 'https://auth.example.test'

  beforeAll(async () => {
    // Served over plain HTTP here, as behind a TLS-terminating proxy; its public URL is https.
    server = await createTestServer(dialect, {
      env: { LATCHKEY_URL: PUBLIC, LATCHKEY_ALLOWED_ORIGINS: APP },
    })
    const address = server.app.server.address()
    direct = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    await fetchJson(`${direct}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email_address: ['victim@example.com'], password: PASSWORD }),
    })
  })
  afterAll(() => server.close())

  it('is set host-only, Secure, on / — and a plain __client a sibling could plant is not read', async () => {
    const res = await fetch(`${direct}/v1/client/sign_ins`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ identifier: 'victim@example.com', password: PASSWORD }),
    })
    expect(res.status).toBe(200)
    const [cookie] = res.headers.getSetCookie()
    expect(cookie).toMatch(
      /^__Host-client=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    )
    expect(cookie).not.toMatch(/Domain=/i)
    const token = /^__Host-client=([^;]+)/.exec(cookie as string)?.[1] as string
    const read = (name: string) =>
      fetchJson(`${direct}/v1/client`, { headers: { origin: APP, cookie: `${name}=${token}` } })
    expect((await read('__Host-client')).json.response.sessions).toHaveLength(1)
    // The same token under the name a sibling subdomain can set: not this deployment's cookie.
    expect((await read('__client')).json.response).toBeNull()
  })
})
