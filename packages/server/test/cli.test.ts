import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

describe('latchkey CLI', () => {
  it('creates the convex preset once, lists it, and prints the instance info', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'))
    const env = {
      PATH: process.env.PATH ?? '',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_LOG_LEVEL: 'warn',
      PORT: '4321',
    }
    const cli = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', CLI, ...args], { env })
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
        publishable_key: 'pk_live_bG9jYWxob3N0OjQzMjEk',
      })
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
