import { join } from 'node:path'
import pg from 'pg'
import { TEST_PG_URL } from './test-server.js'

/**
 * A fresh database URL for a server process a test starts: a SQLite file in `dataDir`, or a new
 * PostgreSQL database, which `drop` removes.
 */
export async function freshDatabase(
  dialect: 'sqlite' | 'postgres',
  dataDir: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite')
    return { url: `sqlite:${join(dataDir, 'latchkey.db')}`, drop: async () => {} }
  const name = `latchkey_boot_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
  const admin = new pg.Client({ connectionString: TEST_PG_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(TEST_PG_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}
