import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrowserClient } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'two servers one database'
const env = { LATCHKEY_RATE_LIMIT: 'on', LATCHKEY_TRUST_PROXY: '127.0.0.1' }

/** Two server processes' worth of app on one database: what LATCHKEY_WORKERS and scaled-out deployments do. */
describe.each(DIALECTS)('two servers sharing one database (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await createTestServer(dialect, { env, sqliteFile: true })
    b = await createTestServer(dialect, { env, shareDatabaseWith: a })
    await a.services.users.create({ emailAddress: ['shared@example.com'], password: PASSWORD })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  it('are one instance: same id, keys and publishable key', () => {
    expect(b.services.instance.id).toBe(a.services.instance.id)
    expect(b.services.keys.jwks()).toEqual(a.services.keys.jwks())
  })

  it('a session signed in on one mints on the other, and a revocation on one holds on the other', async () => {
    const onA = new BrowserClient(a.url, undefined, { 'x-forwarded-for': '198.51.100.1' })
    const sid = await onA.signIn('shared@example.com', PASSWORD)
    const onB = new BrowserClient(b.url)
    onB.cookies = onA.cookies
    expect((await onB.post(`/v1/client/sessions/${sid}/tokens`)).status).toBe(200)
    await a.services.sessions.end(sid, 'revoked')
    expect((await onB.post(`/v1/client/sessions/${sid}/tokens`)).status).toBe(401)
  })

  it('count one per-IP rate-limit window across both', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.7' }
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const server = i % 2 === 0 ? a : b
      const r = await new BrowserClient(server.url, undefined, ip).post('/v1/client/sign_ins', {
        identifier: 'shared@example.com',
      })
      statuses.push(r.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
  })
})
