import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import pino from 'pino'
import { createApp, type LatchkeyApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/load-config.js'
import { type Clock, fakeClock } from '../../src/lib/clock.js'

export type Dialect = 'sqlite' | 'postgres'

/** The PostgreSQL server tests use (DESIGN.md §5). */
export const TEST_PG_URL =
  process.env.LATCHKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The dialects every storage test runs on: `DB_DIALECTS=sqlite,postgres` (the default). Without
 * a reachable PostgreSQL the postgres run is skipped with a visible message.
 */
export const DIALECTS: Dialect[] = await (async () => {
  const wanted = (process.env.DB_DIALECTS ?? 'sqlite,postgres')
    .split(',')
    .map((s) => s.trim()) as Dialect[]
  if (wanted.includes('postgres') && !(await postgresReachable())) {
    console.warn(
      `\n  ⚠ PostgreSQL is not reachable at ${TEST_PG_URL}: skipping the postgres runs.\n`,
    )
    return wanted.filter((d) => d !== 'postgres')
  }
  return wanted
})()

export const TEST_SECRET_KEY = 'sk_live_test_provisioned_secret_key_0123456789'

export type TestServer = LatchkeyApp & {
  url: string
  secretKey: string
  publishableKey: string
  clock: ReturnType<typeof fakeClock> | Clock
  dialect: Dialect
  /** Where its data lives, to start a second server on the same database. */
  database: { url: string; schema?: string }
  /** Counts rows of every table: to show a refused request changed nothing. */
  snapshot(): Promise<Record<string, number>>
}

/**
 * A port nothing listens on now (for servers a test starts itself). Chosen below the kernel's
 * ephemeral range (32768 and up on Linux), from which every outgoing connection of the run takes
 * its local port: a port the OS handed out there could be taken by a connection before the test
 * listened on it (EADDRINUSE under a full run). Random, so parallel files rarely meet; a port
 * found busy is skipped.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (await canListen(port)) return port
  }
  throw new Error('no free port below the ephemeral range')
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/**
 * Boots the real app on a real port (Clerk's SDK and jose talk HTTP), on in-memory SQLite or a
 * fresh PostgreSQL schema. `fake: true` gives the server a hand-moved clock.
 */
export async function createTestServer(
  dialect: Dialect,
  opts: {
    env?: Record<string, string>
    fake?: boolean
    sqliteFile?: boolean
    shareDatabaseWith?: TestServer
    /** Listen here rather than on a free port (a client built for one URL, e.g. a Next.js app). */
    port?: number
    /**
     * Whether a sign-up must prove its email address first: the product's default (on), for
     * the suites about verification. Off unless asked, as an operator may set it, so the many
     * suites that test what comes after a sign-up need no mail server.
     */
    verifyEmailAtSignUp?: boolean
    /** Deliver mail to this SMTP server (`startSmtpServer().url`, helpers/smtp.ts). */
    smtpUrl?: string
    /** Turn email links on (off by default, as in Clerk), as an operator may. */
    emailLinks?: boolean
    /** Log here (silent unless given): a test that reads what the server logs. */
    logger?: pino.Logger
  } = {},
): Promise<TestServer> {
  const port = opts.port ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-test-'))
  const shared = opts.shareDatabaseWith
  const schema =
    shared?.database.schema ??
    `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  // A database two servers share must be a file (SQLite) and both need the same sealing key.
  const sqliteUrl =
    shared?.database.url ??
    (opts.sqliteFile ? `sqlite:${join(dataDir, 'shared.db')}` : 'sqlite::memory:')
  const databaseUrl = dialect === 'sqlite' ? sqliteUrl : TEST_PG_URL
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_URL: `http://127.0.0.1:${port}`,
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_DATABASE_URL: databaseUrl,
    LATCHKEY_ENCRYPTION_KEY: 'bGF0Y2hrZXktdGVzdC1lbmNyeXB0aW9uLWtleS0zMmI=',
    LATCHKEY_SECRET_KEY: TEST_SECRET_KEY,
    LATCHKEY_LOG_LEVEL: 'silent',
    // Every test signs in from 127.0.0.1; the limits have their own test with them on.
    LATCHKEY_RATE_LIMIT: 'off',
    ...(opts.smtpUrl ? { LATCHKEY_SMTP_URL: opts.smtpUrl } : {}),
    // Test IdPs, providers and webhook receivers listen on 127.0.0.1, so tests allow private
    // addresses unless they say otherwise; the SSRF tests set 'off' (the production default).
    ...(opts.env?.LATCHKEY_OUTBOUND_ALLOW_PRIVATE === undefined &&
    opts.env?.LATCHKEY_WEBHOOK_ALLOW_PRIVATE === undefined
      ? { LATCHKEY_OUTBOUND_ALLOW_PRIVATE: 'on' }
      : {}),
    ...opts.env,
  })
  const clock = opts.fake ? fakeClock(Date.now()) : { now: () => Date.now() }
  const app = await createApp({
    config,
    clock,
    logger: opts.logger ?? pino({ level: 'silent' }),
    ...(dialect === 'postgres' ? { dbSchema: schema } : {}),
  })
  if (!opts.verifyEmailAtSignUp && !shared) {
    const { sign_up } = await app.services.instance.settings()
    await app.services.instance.updateSettings({
      sign_up: { ...sign_up, verify_email_at_sign_up: false },
    })
  }
  if (opts.emailLinks && !shared) {
    const { first_factors } = await app.services.instance.settings()
    await app.services.instance.updateSettings({
      first_factors: { ...first_factors, email_link: true },
    })
  }
  await app.app.listen({ port, host: '127.0.0.1' })
  const close = async () => {
    await app.close()
    if (shared) return
    rmSync(dataDir, { recursive: true, force: true })
    if (dialect === 'postgres') {
      const c = new pg.Client({ connectionString: TEST_PG_URL })
      await c.connect()
      await c.query(`drop schema if exists "${schema}" cascade`)
      await c.end()
    }
  }
  const tables = [
    'users',
    'email_addresses',
    'clients',
    'sessions',
    'sign_ins',
    'sign_ups',
    // A refused request queues no mail either.
    'mail_outbox',
  ] as const
  return {
    ...app,
    close,
    url: config.url,
    secretKey: TEST_SECRET_KEY,
    publishableKey: app.services.instance.publishableKey(),
    clock,
    dialect,
    database: { url: databaseUrl, ...(dialect === 'postgres' ? { schema } : {}) },
    snapshot: async () => {
      const out: Record<string, number> = {}
      for (const t of tables) {
        const r = await app.db.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
        out[t] = Number(r.n)
      }
      return out
    },
  }
}
