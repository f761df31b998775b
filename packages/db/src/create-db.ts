import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import {
  type DatabaseIntrospector,
  Kysely,
  Migrator,
  PostgresDialect,
  sql,
  type TableMetadata,
} from 'kysely'
import pg from 'pg'
import { type ChangeFeed, PgChangeFeed, SqliteChangeFeed } from './changes.js'
import * as core from './migrations/2026-11-22T0001-core.js'
import * as jwtTemplates from './migrations/2026-11-22T0002-jwt-templates.js'
import * as rateLimits from './migrations/2026-11-22T0003-rate-limits.js'
import * as oauth from './migrations/2026-11-22T0004-oauth.js'
import * as sessionDevices from './migrations/2026-11-22T0005-session-devices.js'
import * as changeFeed from './migrations/2026-11-23T0006-change-feed.js'
import * as unverifiedSignUpEmails from './migrations/2026-12-01T0007-unverified-sign-up-emails.js'
import * as templateLifetimeBound from './migrations/2026-12-01T0008-template-lifetime-bound.js'
import * as passwordThrottle from './migrations/2026-12-01T0009-password-throttle.js'
import * as oauthSigningKey from './migrations/2026-12-01T0010-oauth-signing-key.js'
import * as secretKeyRevocation from './migrations/2026-12-01T0011-secret-key-revocation.js'
import * as oidcHashedIds from './migrations/2026-12-01T0012-oidc-hashed-ids.js'
import * as profileImages from './migrations/2026-12-01T0013-profile-images.js'
import * as handshakeNonces from './migrations/2026-12-01T0014-handshake-nonces.js'
import * as verifications from './migrations/2026-12-01T0015-verifications.js'
import * as mailOutbox from './migrations/2026-12-01T0016-mail-outbox.js'
import * as signUpRestrictions from './migrations/2026-12-01T0017-sign-up-restrictions.js'
import * as secondFactors from './migrations/2026-12-01T0018-second-factors.js'
import * as passkeys from './migrations/2026-12-01T0019-passkeys.js'
import * as sessionVerifications from './migrations/2026-12-01T0021-session-verifications.js'
import * as sessionTasks from './migrations/2026-12-01T0022-session-tasks.js'
import * as externalAccounts from './migrations/2026-12-01T0023-external-accounts.js'
import * as webhookEvents from './migrations/2026-12-01T0024-webhook-events.js'
import * as webhookEndpoints from './migrations/2026-12-01T0025-webhook-endpoints.js'
import * as enterpriseSso from './migrations/2026-12-01T0026-enterprise-sso.js'
import * as externalAccountTokens from './migrations/2026-12-01T0027-external-account-tokens.js'
import * as oauthProviders from './migrations/2026-12-01T0028-oauth-providers.js'
import * as oauthFlowProxy from './migrations/2026-12-01T0030-oauth-flow-proxy.js'
import * as secondFactorFailures from './migrations/2026-12-01T0031-second-factor-failures.js'
import * as operators from './migrations/2026-12-01T0032-operators.js'
import * as instanceChanges from './migrations/2026-12-03T0033-instance-changes.js'
import * as userSearch from './migrations/2026-12-03T0034-user-search.js'
import { PREPARED_STATEMENTS } from './prepared.js'
import type { Database } from './schema.js'
import { ImmediateSqliteDialect } from './sqlite-driver.js'

/** Which SQL engine a database runs on. */
export type DialectName = 'sqlite' | 'postgres'

/** An open database: the Kysely handle, its dialect and how to close it. */
export type Db = {
  readonly db: Kysely<Database>
  readonly dialect: DialectName
  /** PostgreSQL schema in use, when not the default. */
  readonly schema?: string
  /** What changed in the database, for rows kept in memory (see {@link RowCache}). */
  readonly changes: ChangeFeed
  close(): Promise<void>
}

export type CreateDbOptions = {
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://…` */
  url: string
  /** PostgreSQL only: the schema to use (created if missing); tests use one per run. */
  schema?: string
  /** PostgreSQL only: pool size per process. */
  poolSize?: number
}

const INT8_OID = 20

/** Statements that may change a row the change feed watches (`with` covers writeAtomically). */
const WRITE_VERBS = new Set(['insert', 'update', 'delete', 'with', 'merge'])

/**
 * Opens a database by URL. SQLite runs in WAL mode with foreign keys on; PostgreSQL parses int8
 * as a JavaScript number (timestamps in ms are far below 2^53).
 *
 * @example
 * ```ts
 * const { db, close } = await createDb({ url: 'sqlite:./.latchkey/latchkey.db' })
 * ```
 */
export async function createDb(options: CreateDbOptions): Promise<Db> {
  if (options.url.startsWith('sqlite:')) return openSqlite(options.url.slice('sqlite:'.length))
  if (/^postgres(ql)?:\/\//.test(options.url)) return openPostgres(options)
  throw new Error(`unsupported database URL scheme: ${options.url.split(':')[0]}`)
}

function openSqlite(path: string): Db {
  if (path !== ':memory:') createPrivately(path)
  const database = new SQLite(path)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = NORMAL')
  database.pragma('foreign_keys = ON')
  database.pragma('busy_timeout = 5000')
  // A 2 MB page cache (SQLite's default) turns point lookups at a million users into disk
  // reads; 64 MiB of cache plus memory-mapped reads keep hot pages in memory.
  database.pragma('cache_size = -65536')
  database.pragma('mmap_size = 268435456')
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }),
  })
  const changes = new SqliteChangeFeed(database)
  return {
    db,
    dialect: 'sqlite',
    changes,
    close: async () => {
      await changes.close()
      await db.destroy()
    },
  }
}

/**
 * A new database is created as an empty file with mode 0600, in a directory created 0700, before
 * SQLite opens it: SQLite gives the -wal, -shm and -journal files it creates the database file's
 * own mode, so none of them ever exists readable by other users, whatever the umask (SQLite
 * itself would create them 0644). An existing file is left as it is (the server tightens it).
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  try {
    closeSync(openSync(path, 'wx', 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing is a large share of a point
 * lookup's cost. Keep prepared statements by SQL text (Kysely emits the same text for the same
 * query shape), bounded so ad-hoc shapes (IN lists of many lengths) cannot grow it without limit.
 */
function withStatementCache(database: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>()
  const MAX = 500
  return new Proxy(database, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value = Reflect.get(target, prop, receiver)
        // Native methods must run on the real object, not the proxy.
        return typeof value === 'function' ? value.bind(target) : value
      }
      return (sql: string) => {
        let stmt = cache.get(sql)
        if (!stmt) {
          stmt = target.prepare(sql)
          if (cache.size >= MAX) cache.delete(cache.keys().next().value as string)
          cache.set(sql, stmt)
        }
        return stmt
      }
    },
  })
}

async function openPostgres(options: CreateDbOptions): Promise<Db> {
  const { schema } = options
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name: ${schema}`)
  }
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  }
  if (schema) {
    const admin = new pg.Client({ connectionString: options.url })
    await admin.connect()
    try {
      await admin.query(`create schema if not exists "${schema}"`)
    } finally {
      await admin.end()
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
  })
  // Queries made with `prepared()` run as named statements: PostgreSQL parses and plans each
  // once per connection instead of on every call.
  const changes = new PgChangeFeed({ connectionString: options.url })
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown
    // A committed write fences the change feed (PgChangeFeed.fence): outside a transaction when
    // the statement returns, inside one when it commits. Kysely sends begin/commit as text.
    let inTransaction = false
    let wrote = false
    client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
      const name = typeof text === 'string' ? PREPARED_STATEMENTS.get(text) : undefined
      const result = name ? query({ name, text, values }, callback) : query(text, values, callback)
      if (typeof text !== 'string' || !(result instanceof Promise)) return result
      const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase()
      if (verb === 'begin') inTransaction = true
      const commits = verb === 'commit' && wrote
      if (verb === 'commit' || verb === 'rollback') inTransaction = wrote = false
      const writes = verb !== undefined && WRITE_VERBS.has(verb)
      if (writes && inTransaction) wrote = true
      if (!commits && !(writes && !inTransaction)) return result
      return result.then((r: unknown) => {
        changes.fence()
        return r
      })
    }) as typeof client.query
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    ...(schema ? { schema } : {}),
    changes,
    close: async () => {
      await changes.close()
      await db.destroy()
    },
  }
}

/**
 * Brings the schema up to date (or, for tests of a migration, up to the one named `upTo`). Safe to call from several processes at once: Kysely's migrator
 * takes a lock (an advisory lock on PostgreSQL).
 *
 * @example
 * ```ts
 * await migrate(await createDb({ url }))
 * ```
 */
export async function migrate(
  { db, dialect, schema }: Db,
  options: { upTo?: string } = {},
): Promise<void> {
  const migrator = new Migrator({
    db: dialect === 'postgres' ? withIntrospectionOf(db, schema) : db,
    // Kysely looks for its own tables by introspection across schemas: name ours explicitly.
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: {
      getMigrations: async () => ({
        '2026-11-22T0001-core': core,
        '2026-11-22T0002-jwt-templates': jwtTemplates,
        '2026-11-22T0003-rate-limits': rateLimits,
        '2026-11-22T0004-oauth': oauth,
        '2026-11-22T0005-session-devices': sessionDevices,
        '2026-11-23T0006-change-feed': changeFeed,
        '2026-12-01T0007-unverified-sign-up-emails': unverifiedSignUpEmails,
        '2026-12-01T0008-template-lifetime-bound': templateLifetimeBound,
        '2026-12-01T0009-password-throttle': passwordThrottle,
        '2026-12-01T0010-oauth-signing-key': oauthSigningKey,
        '2026-12-01T0011-secret-key-revocation': secretKeyRevocation,
        '2026-12-01T0012-oidc-hashed-ids': oidcHashedIds,
        '2026-12-01T0013-profile-images': profileImages,
        '2026-12-01T0014-handshake-nonces': handshakeNonces,
        '2026-12-01T0015-verifications': verifications,
        '2026-12-01T0016-mail-outbox': mailOutbox,
        '2026-12-01T0017-sign-up-restrictions': signUpRestrictions,
        '2026-12-01T0018-second-factors': secondFactors,
        '2026-12-01T0019-passkeys': passkeys,
        '2026-12-01T0021-session-verifications': sessionVerifications,
        '2026-12-01T0022-session-tasks': sessionTasks,
        '2026-12-01T0023-external-accounts': externalAccounts,
        '2026-12-01T0024-webhook-events': webhookEvents,
        '2026-12-01T0025-webhook-endpoints': webhookEndpoints,
        '2026-12-01T0026-enterprise-sso': enterpriseSso,
        '2026-12-01T0027-external-account-tokens': externalAccountTokens,
        '2026-12-01T0028-oauth-providers': oauthProviders,
        '2026-12-01T0030-oauth-flow-proxy': oauthFlowProxy,
        '2026-12-01T0031-second-factor-failures': secondFactorFailures,
        '2026-12-01T0032-operators': operators,
        '2026-12-03T0033-instance-changes': instanceChanges,
        '2026-12-03T0034-user-search': userSearch,
      }),
    },
  })
  const { error } = options.upTo
    ? await migrator.migrateTo(options.upTo)
    : await migrator.migrateToLatest()
  if (error) throw error
}

/**
 * Kysely's migrator finds its own two tables by introspecting every table of every schema, with
 * catalog functions that fail ("schema … does not exist", a vanished table or column) when
 * another schema — another application's, another test's, another migration's — is dropped or
 * altered while it reads. Latchkey owns one schema: the migrator looks only there. It reads names
 * only, so the tables it is shown carry no columns.
 */
function withIntrospectionOf(db: Kysely<Database>, schema: string | undefined): Kysely<Database> {
  const getTables = async (): Promise<TableMetadata[]> => {
    const { rows } = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type
      from information_schema.tables
      where table_schema = coalesce(${schema ?? null}::text, current_schema())`.execute(db)
    return rows.map((r) => ({
      name: r.name,
      schema: r.schema,
      isView: r.type === 'VIEW',
      columns: [],
    }))
  }
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => {
      const { rows } = await sql<{ name: string }>`
        select nspname as name from pg_catalog.pg_namespace
        where nspname = coalesce(${schema ?? null}::text, current_schema())`.execute(db)
      return rows
    },
    getTables,
    getMetadata: async () => ({ tables: await getTables() }),
  }
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * Whether an error is a unique-constraint violation, on either dialect.
 *
 * @example
 * ```ts
 * try { await insertUser(db, row) } catch (e) { if (isUniqueViolation(e)) … }
 * ```
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!error || typeof error !== 'object' || !('code' in error)) return false
  const code = (error as { code: unknown }).code
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}
