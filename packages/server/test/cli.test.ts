import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { freshDatabase } from './helpers/fresh-database.js'
import { spawnServer } from './helpers/spawn-server.js'
import { DIALECTS, freePort } from './helpers/test-server.js'

const run = promisify(execFile)
// The built CLI (vitest.setup.ts builds it), as `npm run latchkey` runs it.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))

describe('latchkey CLI', () => {
  it('creates the convex preset once, lists it, and prints the instance info', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'))
    const env = {
      PATH: process.env.PATH ?? '',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_LOG_LEVEL: 'warn',
      PORT: '4321',
    }
    const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env })
    try {
      const created = JSON.parse((await cli('jwt-templates', 'create-preset', 'convex')).stdout)
      expect(created).toMatchObject({
        object: 'jwt_template',
        name: 'convex',
        claims: { aud: 'convex', email_verified: '{{user.email_verified}}' },
      })
      await expect(cli('jwt-templates', 'create-preset', 'convex')).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('jwt_template_name_exists'),
      })
      await expect(cli('jwt-templates', 'create-preset', 'nope')).rejects.toMatchObject({ code: 2 })
      await expect(cli('frobnicate')).rejects.toMatchObject({ code: 2 })
      const list = JSON.parse((await cli('jwt-templates', 'list')).stdout)
      expect(list.map((t: { name: string }) => t.name)).toEqual(['convex'])
      const info = JSON.parse((await cli('info')).stdout)
      expect(info).toMatchObject({
        frontend_api_url: 'http://localhost:4321',
        publishable_key: `pk_live_${btoa('localhost.:4321$').replace(/=+$/, '')}`,
      })
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})

/*
 * Issue "Bad input and secrets at rest", item 3: the operator issues and revokes secret keys
 * without a restart. Servers keep the keys they have accepted in memory; a revoked key leaves
 * every server's memory through the change feed.
 */
describe.each(DIALECTS)('latchkey secret-keys against a running server (%s)', (dialect) => {
  it('create issues a working key, list never shows keys, revoke makes the server refuse it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-keys-'))
    const db = await freshDatabase(dialect, dataDir)
    const port = await freePort()
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: db.url,
      LATCHKEY_RATE_LIMIT: 'off',
      LATCHKEY_LOG_LEVEL: 'warn',
    }
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [CLI, ...args], { env })).stdout)
    const server = spawnServer(env)
    const count = (key: string) =>
      fetch(`http://127.0.0.1:${port}/v1/users/count`, {
        headers: { authorization: `Bearer ${key}` },
      }).then((r) => r.status)
    try {
      await server.ready
      const first = (await readFile(join(dataDir, 'secret-key'), 'utf8')).trim()
      expect(await count(first)).toBe(200)

      const issued = await cli('secret-keys', 'create')
      expect(issued).toMatchObject({
        object: 'secret_key',
        id: expect.stringMatching(/^ak_/),
        prefix: issued.secret.slice(0, 12),
        created_at: expect.any(Number),
        secret: expect.stringMatching(/^sk_live_[A-Za-z0-9]{40}$/),
      })
      // The running server accepts it at once, and keeps it in memory from now on.
      expect(await count(issued.secret)).toBe(200)
      expect(await count(issued.secret)).toBe(200)

      const listed = await cli('secret-keys', 'list')
      expect(listed).toEqual([
        {
          object: 'secret_key',
          id: expect.stringMatching(/^ak_/),
          prefix: first.slice(0, 12),
          label: null,
          created_at: expect.any(Number),
        },
        {
          object: 'secret_key',
          id: issued.id,
          prefix: issued.prefix,
          label: null,
          created_at: issued.created_at,
        },
      ])
      expect(JSON.stringify(listed)).not.toContain(first.slice(12))
      expect(JSON.stringify(listed)).not.toContain(issued.secret.slice(12))

      expect(await cli('secret-keys', 'revoke', issued.id)).toEqual({
        object: 'secret_key',
        id: issued.id,
        deleted: true,
      })
      // SQLite: the server reads the change feed before it serves from memory, so the next
      // request is refused. PostgreSQL: the notification lands about a millisecond after commit.
      const refusedAt = Date.now()
      let status = await count(issued.secret)
      while (dialect === 'postgres' && status === 200 && Date.now() - refusedAt < 1000)
        status = await count(issued.secret)
      expect(status).toBe(401)
      expect(await count(first)).toBe(200)

      await expect(cli('secret-keys', 'revoke', issued.id)).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('resource_not_found'),
      })
      await expect(cli('secret-keys', 'revoke')).rejects.toMatchObject({ code: 2 })
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
      await db.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
