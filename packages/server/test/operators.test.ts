import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore } from '../src/app.js'
import { loadConfig } from '../src/config/load-config.js'
import { freshDatabase } from './helpers/fresh-database.js'
import { bapi, makeUser, operatorToken } from './helpers/operators.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

// Issue #20: operators are made with the CLI (the first one: no one can sign in to make them)
// or the Backend API; removing one stops their credentials in every process at once.

const run = promisify(execFile)
// The built CLI (vitest.setup.ts builds it), as `npm run latchkey` runs it.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const PASSWORD = 'operator passphrase 2026'

describe.each(DIALECTS)('latchkey operators and secret-keys --label (%s)', (dialect) => {
  it('adds by email or user id (idempotent), lists, removes; labels a new key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-ops-'))
    const db = await freshDatabase(dialect, dataDir)
    const env = {
      PATH: process.env.PATH ?? '',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: db.url,
      LATCHKEY_LOG_LEVEL: 'warn',
    }
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [CLI, ...args], { env })).stdout)
    try {
      const core = await createCore({ config: loadConfig(env) })
      const user = await core.services.users.create({
        emailAddress: ['first-operator@example.com'],
        password: PASSWORD,
      })
      await core.db.close()
      const operator = {
        object: 'operator',
        user_id: user.id,
        email_address: 'first-operator@example.com',
        created_at: expect.any(Number),
      }
      expect(await cli('operators', 'list')).toEqual([])
      const added = await cli('operators', 'add', 'First-Operator@example.com')
      expect(added).toEqual(operator)
      expect(await cli('operators', 'add', user.id)).toEqual(added)
      expect(await cli('operators', 'list')).toEqual([added])
      await expect(cli('operators', 'add', 'nobody@example.com')).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('resource_not_found'),
      })
      await expect(cli('operators', 'add')).rejects.toMatchObject({ code: 2 })
      expect(await cli('operators', 'remove', 'first-operator@example.com')).toEqual({
        object: 'operator',
        id: user.id,
        deleted: true,
      })
      expect(await cli('operators', 'list')).toEqual([])
      await expect(cli('operators', 'remove', user.id)).rejects.toMatchObject({ code: 1 })

      const labelled = await cli('secret-keys', 'create', '--label', 'CI deploys')
      expect(labelled).toMatchObject({ object: 'secret_key', label: 'CI deploys' })
      const unlabelled = await cli('secret-keys', 'create')
      expect(unlabelled.label).toBeNull()
      const listed = await cli('secret-keys', 'list')
      expect(listed).toContainEqual({
        object: 'secret_key',
        id: labelled.id,
        prefix: labelled.prefix,
        label: 'CI deploys',
        created_at: labelled.created_at,
      })
      await expect(cli('secret-keys', 'create', '--bogus')).rejects.toMatchObject({ code: 2 })
      await expect(cli('secret-keys', 'create', '--label')).rejects.toMatchObject({ code: 2 })
    } finally {
      await db.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe.each(DIALECTS)('removing an operator, seen by another process (%s)', (dialect) => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await createTestServer(dialect, { sqliteFile: true })
    b = await createTestServer(dialect, { shareDatabaseWith: a })
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })

  it('a credential issued by one server stops on the other at once', async () => {
    const userId = await makeUser(a, `shared-${dialect}@example.com`, PASSWORD)
    const token = await operatorToken(a, `shared-${dialect}@example.com`, PASSWORD)
    expect((await bapi(b, 'GET', '/v1/users/count', undefined, token)).status).toBe(200)
    expect((await bapi(a, 'DELETE', `/v1/operators/${userId}`)).status).toBe(200)
    const refused = await bapi(b, 'GET', '/v1/users/count', undefined, token)
    expect(refused.status).toBe(401)
    expect(refused.json.errors[0].code).toBe('authentication_invalid')
  })
})
