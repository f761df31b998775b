import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The key that seals secrets at rest: the operator's `LATCHKEY_ENCRYPTION_KEY`, or one generated
 * on first boot into `<data dir>/master.key` with mode 0600. Several processes sharing one
 * PostgreSQL database must be given the same key through the environment.
 */
export function loadMasterKey(configured: Uint8Array | undefined, dataDir: string): Uint8Array {
  if (configured) return configured
  const path = join(dataDir, 'master.key')
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`)
    return new Uint8Array(key)
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  return new Uint8Array(key)
}
