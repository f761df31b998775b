import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { hash, verify } from '@node-rs/argon2'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import { toNodeHandler } from 'better-auth/node'
import { jwt } from 'better-auth/plugins/jwt'
import Database from 'better-sqlite3'

/*
 * Better Auth as `npm run bench:peers` runs it beside Latchkey: email + password and the JWT
 * plugin, RS256 (RSA-2048) tokens of 60 s as Latchkey's, on an SQLite file with Latchkey's
 * pragmas, one process per core behind node:cluster as LATCHKEY_WORKERS does, rate limits and
 * telemetry off. `PEER_HASH=argon2id` swaps its default scrypt for argon2id with Latchkey's
 * parameters (the equal-hash row). Env: PORT, PEER_DB, PEER_WORKERS, PEER_HASH.
 */

const PORT = Number(process.env.PORT ?? 4700)
const FILE = process.env.PEER_DB ?? 'better-auth.db'
const WORKERS = Number(process.env.PEER_WORKERS ?? 2)
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const
const baseURL = `http://127.0.0.1:${PORT}`

function database() {
  const db = new Database(FILE)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.pragma('cache_size = -65536')
  db.pragma('mmap_size = 268435456')
  return db
}

function auth() {
  return betterAuth({
    database: database(),
    baseURL,
    secret: 'benchmark-secret-benchmark-secret-0123456789',
    telemetry: { enabled: false },
    rateLimit: { enabled: false },
    emailAndPassword: {
      enabled: true,
      ...(process.env.PEER_HASH === 'argon2id'
        ? {
            password: {
              hash: (password: string) => hash(password, ARGON2 as Parameters<typeof hash>[1]),
              verify: ({ hash: digest, password }: { hash: string; password: string }) =>
                verify(digest, password),
            },
          }
        : {}),
    },
    plugins: [
      jwt({
        jwks: { keyPairConfig: { alg: 'RS256', modulusLength: 2048 } },
        jwt: { expirationTime: '60s' },
        // A session read answers the session only, as Latchkey's /v1/me does: no token signed.
        disableSettingJwtHeader: true,
      }),
    ],
  })
}

if (cluster.isPrimary) {
  const { runMigrations } = await getMigrations(auth().options)
  await runMigrations()
  let listening = 0
  cluster.on('listening', () => {
    if (++listening === WORKERS) console.log(`ready on ${baseURL}`)
  })
  for (let i = 0; i < WORKERS; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill()
    process.exit(0)
  })
} else {
  createServer(toNodeHandler(auth())).listen(PORT, '127.0.0.1')
}
