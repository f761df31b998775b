import { PgChangeFeed, RowCache } from '@latchkey/db'
import { decodeJwt } from 'jose'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BrowserClient, fetchJson, type Json } from './helpers/browser-client.js'
import { createTestServer, DIALECTS, TEST_PG_URL, type TestServer } from './helpers/test-server.js'

const PASSWORD = 'kept in memory until changed'

/*
 * Token mints serve clients, sessions and users from memory (issue #6). These tests warm one
 * server's memory, change the row through another server on the same database (or through SQL
 * behind both), and show the first server never serves the old row: on SQLite at once, on
 * PostgreSQL as soon as the commit's notification arrives.
 */
describe.each(DIALECTS)('rows kept in memory follow every change (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await createTestServer(dialect, { sqliteFile: true })
    b = await createTestServer(dialect, { shareDatabaseWith: a })
    await bapi(a, '/v1/jwt_templates', 'POST', {
      name: 'profile',
      claims: { name: '{{user.full_name}}', email: '{{user.primary_email_address}}' },
    })
    await vi.waitUntil(() => a.db.changes.sync() && b.db.changes.sync(), { timeout: 5000 })
  })
  afterAll(async () => {
    await b.close()
    await a.close()
  })

  async function bapi(server: TestServer, path: string, method = 'GET', body?: unknown) {
    const r = await fetchJson(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    expect(r.status, JSON.stringify(r.json)).toBe(200)
    return r.json as Json
  }

  /** A signed-in browser on server A, its session and user. */
  async function signedInOnA(email: string) {
    const user = await bapi(b, '/v1/users', 'POST', {
      email_address: [email],
      password: PASSWORD,
      first_name: 'Ada',
    })
    const browser = new BrowserClient(a.url)
    const sid = await browser.signIn(email, PASSWORD)
    return { browser, sid, userId: user.id as string }
  }

  /** SQLite sees a change at once; PostgreSQL when the notification lands (milliseconds). */
  async function expectOnA<T>(read: () => Promise<T>, expected: T) {
    if (dialect === 'sqlite') expect(await read()).toEqual(expected)
    else await expect.poll(read, { timeout: 3000, interval: 5 }).toEqual(expected)
  }

  const mintStatus = (browser: BrowserClient, sid: string) => async () =>
    (await browser.post(`/v1/client/sessions/${sid}/tokens`)).status

  const profileClaims = (browser: BrowserClient, sid: string) => async () => {
    const r = await browser.post(`/v1/client/sessions/${sid}/tokens/profile`)
    expect(r.status).toBe(200)
    const { name, email } = decodeJwt(r.json.jwt as string)
    return { name, email }
  }

  it('a session revoked on another server stops minting here', async () => {
    const { browser, sid } = await signedInOnA('revoked@example.com')
    expect(await mintStatus(browser, sid)()).toBe(200)
    await bapi(b, `/v1/sessions/${sid}/revoke`, 'POST')
    await expectOnA(mintStatus(browser, sid), 401)
  })

  it('a browser signed out on another server stops minting here', async () => {
    const { browser, sid } = await signedInOnA('signed-out@example.com')
    expect(await mintStatus(browser, sid)()).toBe(200)
    const elsewhere = new BrowserClient(b.url)
    elsewhere.cookies = browser.cookies
    expect((await elsewhere.request('POST', '/v1/client/sessions?_method=DELETE')).status).toBe(200)
    await expectOnA(mintStatus(browser, sid), 401)
  })

  it('a deleted user (sessions go by cascade) stops minting here', async () => {
    const { browser, sid, userId } = await signedInOnA('deleted@example.com')
    expect(await mintStatus(browser, sid)()).toBe(200)
    await bapi(b, `/v1/users/${userId}`, 'DELETE')
    const status = await mintStatus(browser, sid)()
    if (dialect === 'sqlite') expect([401, 404]).toContain(status)
    await expect
      .poll(mintStatus(browser, sid), { timeout: 3000, interval: 5 })
      .toBeGreaterThanOrEqual(400)
  })

  it("template claims follow the user's name and email, whoever changed them", async () => {
    const { browser, sid, userId } = await signedInOnA('claims@example.com')
    expect(await profileClaims(browser, sid)()).toEqual({
      name: 'Ada',
      email: 'claims@example.com',
    })
    await bapi(b, `/v1/users/${userId}`, 'PATCH', { first_name: 'Grace', last_name: 'Hopper' })
    await expectOnA(profileClaims(browser, sid), {
      name: 'Grace Hopper',
      email: 'claims@example.com',
    })
    // Even SQL behind both servers' backs (an operator's fix-up) is seen.
    await b.db.db
      .updateTable('email_addresses')
      .set({ email_address: 'renamed@example.com' })
      .where('user_id', '=', userId)
      .execute()
    await expectOnA(profileClaims(browser, sid), {
      name: 'Grace Hopper',
      email: 'renamed@example.com',
    })
  })

  it('a change made on the same server is seen by its next mint', async () => {
    const { browser, sid, userId } = await signedInOnA('same@example.com')
    await profileClaims(browser, sid)()
    await bapi(a, `/v1/users/${userId}`, 'PATCH', { first_name: 'Barbara' })
    await expectOnA(profileClaims(browser, sid), { name: 'Barbara', email: 'same@example.com' })
    await bapi(a, `/v1/sessions/${sid}/revoke`, 'POST')
    await expectOnA(mintStatus(browser, sid), 401)
  })

  // Issue #13: where a revocation is made it holds at once, not when its notification lands.
  it('the server that revoked a session refuses it on the very next read', async () => {
    for (let i = 0; i < 20; i++) {
      const { sid } = await signedInOnA(`fence${i}@example.com`)
      await a.services.sessions.getUsable(sid)
      expect((await a.services.sessions.getUsable(sid)).id).toBe(sid) // now kept in memory
      await a.services.sessions.revokeAllForUser((await a.services.sessions.get(sid)).user_id)
      await expect(a.services.sessions.getUsable(sid)).rejects.toMatchObject({
        code: 'session_not_active',
      })
    }
  })

  it('keeps nothing read while a change arrived, and serves from memory otherwise', async () => {
    const { sid } = await signedInOnA('race@example.com')
    const cache = new RowCache<{ id: string }>(a.db.changes)
    const read = vi.fn(async () => ({ id: sid }))
    const deps = () => [`session:${sid}`]
    // A change lands while the read is in flight: the value is returned, not kept.
    const before = a.db.changes.position
    await cache.get(
      'k',
      async () => {
        await a.db.db
          .updateTable('sessions')
          .set({ updated_at: Date.now() })
          .where('id', '=', sid)
          .execute()
        await vi.waitUntil(() => a.db.changes.sync() && a.db.changes.position > before)
        return read()
      },
      deps,
    )
    expect(cache.size).toBe(0)
    await expect.poll(() => cache.get('k', read, deps).then(() => cache.size)).toBe(1)
    const reads = read.mock.calls.length
    await cache.get('k', read, deps)
    expect(read.mock.calls.length).toBe(reads)
    // A change to what the row depends on forgets it.
    await b.db.db
      .updateTable('sessions')
      .set({ updated_at: Date.now() })
      .where('id', '=', sid)
      .execute()
    await expect.poll(() => a.db.changes.sync() && cache.size, { timeout: 3000 }).toBe(0)
  })

  it('holds at most its bound, forgetting the row kept longest', async () => {
    const cache = new RowCache<{ n: number }>(a.db.changes, 3)
    const read = vi.fn(async () => ({ n: 1 }))
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, read, () => [`user:${key}`])
    expect(cache.size).toBe(3)
    await cache.get('d', read, () => ['user:d'])
    expect(read).toHaveBeenCalledTimes(4)
    await cache.get('a', read, () => ['user:a'])
    expect(read).toHaveBeenCalledTimes(5)
  })

  if (dialect === 'sqlite')
    it('SQLite: inside a transaction nothing is served or kept; a pruned gap forgets everything', async () => {
      const cache = new RowCache<{ n: number }>(a.db.changes)
      const read = vi.fn(async () => ({ n: 1 }))
      await a.db.db.transaction().execute(async () => {
        expect(a.db.changes.sync()).toBe(false)
        await cache.get('k', read, () => ['user:x'])
      })
      expect(cache.size).toBe(0)
      await cache.get('k', read, () => ['user:x'])
      expect(cache.size).toBe(1)
      // Another process fell so far behind that the rows it missed were pruned: a gap in ids.
      await sql`insert into latchkey_changes (id, key) values ((select max(id) from latchkey_changes) + 5, 'user:y')`.execute(
        b.db.db,
      )
      // Another connection's commit is read at the next turn of the event loop (the next request).
      await new Promise((resolve) => setImmediate(resolve))
      expect(a.db.changes.sync()).toBe(true)
      expect(cache.size).toBe(0)
    })

  if (dialect === 'postgres')
    it('PostgreSQL: with its listener closed, nothing is served from memory', async () => {
      const other = await createTestServer(dialect, { shareDatabaseWith: a })
      await vi.waitUntil(() => other.db.changes.sync(), { timeout: 5000 })
      const cache = new RowCache<{ n: number }>(other.db.changes)
      const read = vi.fn(async () => ({ n: 1 }))
      await cache.get('k', read, () => ['user:x'])
      expect(cache.size).toBe(1)
      await other.db.changes.close()
      expect(other.db.changes.sync()).toBe(false)
      await cache.get('k', read, () => ['user:x'])
      await cache.get('k', read, () => ['user:x'])
      expect(read).toHaveBeenCalledTimes(3)
      await other.close()
    })
})

describe.runIf(DIALECTS.includes('postgres'))('PostgreSQL change feed connection', () => {
  it('a dropped listener serves nothing until it is back, forgets what it kept, then follows changes again', async () => {
    const name = `latchkey_feed_test_${Math.random().toString(36).slice(2, 10)}`
    const feed = new PgChangeFeed({ connectionString: TEST_PG_URL, application_name: name })
    const admin = new pg.Client({ connectionString: TEST_PG_URL })
    await admin.connect()
    try {
      await vi.waitUntil(() => feed.sync(), { timeout: 5000 })
      const cache = new RowCache<{ n: number }>(feed)
      const read = vi.fn(async () => ({ n: 1 }))
      await cache.get('k', read, () => ['user:x'])
      expect(cache.size).toBe(1)
      // The database drops the listening connection (a restart, a failover, an idle timeout).
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [name],
      )
      await vi.waitUntil(() => !feed.sync(), { timeout: 5000 })
      expect(cache.size).toBe(0)
      await cache.get('k', read, () => ['user:x'])
      expect(cache.size).toBe(0)
      // It reconnects by itself and listens again.
      await vi.waitUntil(() => feed.sync(), { timeout: 5000, interval: 50 })
      await cache.get('k', read, () => ['user:x'])
      expect(cache.size).toBe(1)
      await admin.query(`select pg_notify('latchkey_changes', 'user:x')`)
      await vi.waitUntil(() => cache.size === 0, { timeout: 5000 })
    } finally {
      await admin.end()
      await feed.close()
    }
  })
})
