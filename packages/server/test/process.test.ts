import { readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { BrowserClient, fetchJson } from './helpers/browser-client.js'
import { spawnServer } from './helpers/spawn-server.js'
import { DIALECTS, TEST_PG_URL } from './helpers/test-server.js'

let nextPort = 4700 + Math.floor(Math.random() * 200)
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups) await c()
})

/** A fresh database URL for one dialect: a temp SQLite file or a new PostgreSQL database. */
async function freshDatabase(dialect: 'sqlite' | 'postgres', dataDir: string): Promise<string> {
  if (dialect === 'sqlite') return `sqlite:${join(dataDir, 'latchkey.db')}`
  const name = `latchkey_boot_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
  const admin = new pg.Client({ connectionString: TEST_PG_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL })
    await c.connect()
    await c.query(`drop database if exists ${name} with (force)`)
    await c.end()
  })
  const url = new URL(TEST_PG_URL)
  url.pathname = `/${name}`
  return url.toString()
}

describe('configuration is validated at boot', () => {
  it('a bad variable stops the server with a message naming it', async () => {
    const s = spawnServer({
      PORT: 'eighty',
      LATCHKEY_RATE_LIMIT: 'maybe',
      LATCHKEY_ALLOWED_ORIGINS: 'not a url',
    })
    expect(await s.exited).toBe(1)
    expect(s.output()).toMatch(/PORT/)
    expect(s.output()).toMatch(/LATCHKEY_RATE_LIMIT/)
    const s2 = spawnServer({ LATCHKEY_ALLOWED_ORIGINS: 'ftp://files.example.com' })
    expect(await s2.exited).toBe(1)
    expect(s2.output()).toMatch(/LATCHKEY_ALLOWED_ORIGINS/)
  })
})

describe.each(DIALECTS)('the server process (%s)', (dialect) => {
  it('boots, prints its keys, keeps data and keys across a restart, and drains on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-proc-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const port = nextPort++
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: await freshDatabase(dialect, dataDir),
      LATCHKEY_RATE_LIMIT: 'off',
    }
    const url = `http://localhost:${port}`

    const first = spawnServer(env)
    await first.ready
    const banner = first.output()
    expect(banner).toContain(`Frontend API URL:  ${url}`)
    const pk = /Publishable key:\s+(\S+)/.exec(banner)?.[1]
    expect(pk).toBe(
      `pk_live_${Buffer.from(`localhost:${port}$`).toString('base64').replace(/=+$/, '')}`,
    )
    const sk = /Secret key:\s+(sk_live_\S+)/.exec(banner)?.[1]
    expect(sk).toBeDefined()
    expect(banner).toMatch(/rate limits are disabled/)
    const auth = { authorization: `Bearer ${sk}`, 'content-type': 'application/json' }

    const created = await fetchJson(`${url}/v1/users`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        email_address: ['kept@example.com'],
        password: 'survives restarts 1',
      }),
    })
    expect(created.status).toBe(200)
    const jwks1 = (await fetchJson(`${url}/.well-known/jwks.json`)).json
    const instance1 = (await fetchJson(`${url}/v1/instance`, { headers: auth })).json

    // Structured logs carry a request id.
    const logLine = first
      .output()
      .split('\n')
      .find((l) => l.startsWith('{') && l.includes('"reqId"'))
    expect(JSON.parse(logLine ?? '{}').reqId).toEqual(expect.any(String))

    // Requests in flight when SIGTERM arrives still complete (each sign-up hashes with argon2id).
    const inflight = Array.from({ length: 4 }, (_, i) =>
      new BrowserClient(url).post('/v1/client/sign_ups', {
        email_address: `drain${i}@example.com`,
        password: 'drain the queue 1',
      }),
    )
    // Wait until the server has read all four (its request log says so), then stop it.
    const received = () => first.output().split('"url":"/v1/client/sign_ups"').length - 1
    while (received() < 4) await new Promise((r) => setTimeout(r, 2))
    first.child.kill('SIGTERM')
    const results = await Promise.all(inflight)
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(await first.exited).toBe(0)

    // Secrets at rest: the master key is private, and no private key is stored in clear.
    if (dialect === 'sqlite') {
      expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600)
      const dbBytes = readFileSync(join(dataDir, 'latchkey.db')).toString('latin1')
      expect(dbBytes).not.toContain('PRIVATE KEY')
      expect(dbBytes).toContain('"kty":"RSA"')
    }

    const second = spawnServer(env)
    await second.ready
    expect(second.output()).not.toMatch(/sk_live_/)
    expect((await fetchJson(`${url}/.well-known/jwks.json`)).json).toEqual(jwks1)
    expect((await fetchJson(`${url}/v1/instance`, { headers: auth })).json.id).toBe(instance1.id)
    const users = await fetchJson(`${url}/v1/users?email_address=kept@example.com`, {
      headers: auth,
    })
    expect(users.json).toHaveLength(1)
    expect((await fetchJson(`${url}/v1/users/count`, { headers: auth })).json.total_count).toBe(5)
    const b = new BrowserClient(url)
    await b.signIn('kept@example.com', 'survives restarts 1')
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 60_000)
})

describe.each(DIALECTS)('the server with LATCHKEY_WORKERS=2 (%s)', (dialect) => {
  it('serves one instance from two worker processes and stops them on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-workers-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const port = nextPort++
    const s = spawnServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: await freshDatabase(dialect, dataDir),
      LATCHKEY_WORKERS: '2',
      LATCHKEY_RATE_LIMIT: 'off',
      LATCHKEY_SECRET_KEY: 'sk_live_workers_test_key_0123456789',
    })
    await s.ready
    expect(s.output()).toContain('2 workers')
    const url = `http://localhost:${port}`
    const auth = {
      authorization: 'Bearer sk_live_workers_test_key_0123456789',
      'content-type': 'application/json',
    }
    const created = await fetchJson(`${url}/v1/users`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ email_address: ['w@example.com'], password: 'two workers one db' }),
    })
    expect(created.status).toBe(200)
    const b = new BrowserClient(url)
    const sid = await b.signIn('w@example.com', 'two workers one db')
    // Connections spread over both workers; every one of them knows the session and the key.
    const pids = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/v1/client/sessions/${sid}/tokens`, {
        method: 'POST',
        headers: { cookie: `__client=${b.cookies.get('__client')}`, connection: 'close' },
      })
      expect(r.status).toBe(200)
      await r.text()
    }
    for (const line of s.output().split('\n')) {
      if (line.includes('/tokens')) pids.add(String(JSON.parse(line).pid))
    }
    expect(pids.size).toBe(2)
    s.child.kill('SIGTERM')
    expect(await s.exited).toBe(0)
  }, 60_000)
})
