import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MASTER_KEY_FILE, writePrivateFile } from './data-dir.js'

/**
 * The key that seals secrets at rest: the operator's `LATCHKEY_ENCRYPTION_KEY`, or one generated
 * on first boot into `<data dir>/master.key` with mode 0600. Several processes sharing one
 * PostgreSQL database must be given the same key through the environment.
 */
export function loadMasterKey(configured: Uint8Array | undefined, dataDir: string): Uint8Array {
  if (configured) return configured
  const path = join(dataDir, MASTER_KEY_FILE)
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')
    if (key.length !== 32) throw new Error(`${path} does not hold a 32-byte base64 key`)
    return new Uint8Array(key)
  }
  const key = randomBytes(32)
  writePrivateFile(dataDir, MASTER_KEY_FILE, `${key.toString('base64')}\n`)
  return new Uint8Array(key)
}
