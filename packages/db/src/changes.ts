import type SQLite from 'better-sqlite3'
import pg from 'pg'

/**
 * Which clients, sessions, users and secret keys changed, in this process or any other on the
 * same database, so that rows may be kept in memory without ever serving one that has since
 * changed. Database triggers announce every change (migrations 0006 and 0007) as a key:
 * `client:<id>`, `session:<id>`, `user:<id>` (a user's email addresses count as the user) or
 * `api_key:<id>`, and the instance's settings as `instance:<id>` (migration 0033).
 */
export interface ChangeFeed {
  /**
   * Catches up with the changes made since the last call and tells whether memory can be trusted
   * now. False means read the database: inside an open transaction, before the schema has the
   * feed, or while PostgreSQL's listener is reconnecting.
   */
  sync(): boolean
  /** How many changes this process has seen; a read is stored only if none arrived during it. */
  readonly position: number
  /** Called with each changed key, or with `undefined` when anything may have changed. */
  subscribe(listener: (key: string | undefined) => void): void
  close(): Promise<void>
}

abstract class Feed implements ChangeFeed {
  position = 0
  readonly #listeners = new Set<(key: string | undefined) => void>()

  abstract sync(): boolean
  abstract close(): Promise<void>

  subscribe(listener: (key: string | undefined) => void): void {
    this.#listeners.add(listener)
  }

  protected emit(key: string | undefined): void {
    this.position++
    for (const l of this.#listeners) l(key)
  }
}

/** A batch larger than this is not worth reading key by key: start the caches anew. */
const MAX_BATCH = 1000

type ChangesSince = SQLite.Statement<[number], { id: number; key: string }>

/**
 * SQLite: triggers append keys to `latchkey_changes`; `sync` reads what is new, synchronously,
 * so a change committed by any connection is seen by the next request. Row ids are dense (one
 * writer at a time; a rolled-back insert gives its id back), so a gap means the table was pruned
 * past this process: everything is forgotten.
 *
 * Reading the table opens a read transaction (~2 µs); a mint would do it three to five times.
 * So within one turn of the event loop (one request's synchronous run) the table is read once,
 * unless this connection wrote meanwhile (`total_changes()`, ~0.1 µs): a request sees every
 * commit made before it began, and its own writes at once.
 */
export class SqliteChangeFeed extends Feed {
  readonly #db: SQLite.Database
  #since: ChangesSince | undefined
  #ownChanges: SQLite.Statement<[], number> | undefined
  #last = 0
  /** Rows this connection had changed at the last read of the table in this turn, if any. */
  #readThisTurn: number | undefined

  constructor(db: SQLite.Database) {
    super()
    this.#db = db
  }

  sync(): boolean {
    // Inside a transaction the rows read may yet be rolled back.
    if (this.#db.inTransaction) return false
    const since = this.#since ?? this.#prepare()
    if (!since) return false
    const own = (this.#ownChanges as SQLite.Statement<[], number>).get() as number
    if (this.#readThisTurn === own) return true
    if (this.#readThisTurn === undefined)
      setImmediate(() => {
        this.#readThisTurn = undefined
      })
    this.#readThisTurn = own
    const rows = since.all(this.#last)
    if (rows.length === 0) return true
    const first = rows[0] as { id: number }
    const last = rows[rows.length - 1] as { id: number }
    if (first.id !== this.#last + 1 || rows.length >= MAX_BATCH) {
      this.emit(undefined)
      if (rows.length >= MAX_BATCH) {
        this.#last = this.#max()
        return true
      }
    } else {
      for (const r of rows) this.emit(r.key)
    }
    this.#last = last.id
    return true
  }

  #prepare(): ChangesSince | undefined {
    try {
      const since = this.#db.prepare<[number], { id: number; key: string }>(
        `select id, key from latchkey_changes where id > ? order by id limit ${MAX_BATCH}`,
      )
      this.#ownChanges = this.#db.prepare<[], number>('select total_changes()').pluck()
      this.#last = this.#max()
      this.#since = since
      return since
    } catch {
      // Not migrated yet.
      return undefined
    }
  }

  #max(): number {
    const row = this.#db.prepare('select max(id) as id from latchkey_changes').get() as {
      id: number | null
    }
    return row.id ?? 0
  }

  async close(): Promise<void> {}
}

const CHANNEL = 'latchkey_changes'
/** Payloads of fences ({@link PgChangeFeed.fence}); no change key starts with it. */
const FENCE = 'fence:'
const RECONNECT_MS = 1000

/**
 * PostgreSQL: triggers `pg_notify` on commit; one listening connection per process, opened on
 * first use. While it is down nothing is trusted (and everything is forgotten when it is back).
 * A change reaches another process's memory when its notification arrives, within a
 * millisecond or so of the commit.
 */
export class PgChangeFeed extends Feed {
  readonly #config: pg.ClientConfig
  #client: pg.Client | undefined
  #live = false
  /** Fences sent and not yet back (see {@link fence}). */
  #fences = 0
  #fenceSeq = 0
  /** The listening connection's backend pid: notifications it sent itself carry it. */
  #pid: number | undefined
  #starting = false
  #closed = false
  #retry: NodeJS.Timeout | undefined

  constructor(config: pg.ClientConfig) {
    super()
    this.#config = config
  }

  sync(): boolean {
    if (!this.#live && !this.#starting && !this.#closed && !this.#retry) void this.#start()
    return this.#live && this.#fences === 0
  }

  /**
   * This process committed a write: until its notifications have arrived, memory is not trusted.
   * Notifications are delivered in commit order, so a notification the listener sends itself
   * after the write committed comes back after every notification the write caused; until it
   * does, reads go to the database. Without it, the process that revoked a session could serve
   * the session it just revoked from memory for as long as its own notification takes (issue
   * #13: a revocation must hold at once where it was made).
   */
  fence(): void {
    const client = this.#client
    if (!this.#live || !client) return
    this.#fences++
    const token = `${FENCE}${++this.#fenceSeq}`
    client.query('select pg_notify($1, $2)', [CHANNEL, token]).catch(() => this.#down(client))
  }

  async #start(): Promise<void> {
    this.#starting = true
    const client = new pg.Client(this.#config)
    client.on('notification', (m) => {
      if (m.channel !== CHANNEL || !m.payload) return
      // Only this connection's own fences matter here; another process's are not ours to count.
      if (m.payload.startsWith(FENCE)) {
        if (m.processId === this.#pid && this.#fences > 0) this.#fences--
        return
      }
      this.emit(m.payload)
    })
    client.on('error', () => this.#down(client))
    client.on('end', () => this.#down(client))
    this.#client = client
    try {
      await client.connect()
      this.#pid = (
        await client.query<{ pid: number }>('select pg_backend_pid() as pid')
      ).rows[0]?.pid
      await client.query(`listen ${CHANNEL}`)
      if (this.#closed || this.#client !== client) return
      // Whatever changed while nobody listened is unknown.
      this.emit(undefined)
      this.#live = true
    } catch {
      this.#down(client)
    } finally {
      this.#starting = false
    }
  }

  #down(client: pg.Client): void {
    if (this.#client !== client) return
    this.#live = false
    this.#fences = 0
    this.#client = undefined
    this.emit(undefined)
    client.end().catch(() => {})
    if (this.#closed || this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
    }, RECONNECT_MS)
    this.#retry.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#live = false
    if (this.#retry) clearTimeout(this.#retry)
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}

/**
 * Rows kept in memory until the change feed says they changed. `get` serves a kept row or reads
 * the database; a read is kept only when no change arrived while it ran, so a row changed during
 * the read is never kept. Values are shared: callers must not mutate them.
 *
 * @example
 * ```ts
 * const sessions = new RowCache<SessionRow>(changes)
 * const s = await sessions.get(id, () => findSession(db, id), (s) => [`session:${s.id}`])
 * ```
 */
export class RowCache<V> {
  readonly #feed: ChangeFeed
  readonly #max: number
  readonly #entries = new Map<string, { value: V; deps: string[] }>()
  readonly #byDep = new Map<string, Set<string>>()

  constructor(feed: ChangeFeed, max = 10_000) {
    this.#feed = feed
    this.#max = max
    feed.subscribe((key) => (key === undefined ? this.clear() : this.#evict(key)))
  }

  async get(
    key: string,
    read: () => Promise<V | undefined>,
    deps: (value: V) => string[],
  ): Promise<V | undefined> {
    if (!this.#feed.sync()) return read()
    const hit = this.#entries.get(key)
    if (hit) return hit.value
    const at = this.#feed.position
    const value = await read()
    if (value !== undefined && this.#feed.sync() && this.#feed.position === at) {
      // Full: forget the row kept longest (a Map iterates in insertion order).
      if (this.#entries.size >= this.#max) this.#drop(this.#entries.keys().next().value as string)
      const d = deps(value)
      this.#entries.set(key, { value, deps: d })
      for (const dep of d) {
        const keys = this.#byDep.get(dep)
        if (keys) keys.add(key)
        else this.#byDep.set(dep, new Set([key]))
      }
    }
    return value
  }

  /** How many rows are kept. */
  get size(): number {
    return this.#entries.size
  }

  clear(): void {
    this.#entries.clear()
    this.#byDep.clear()
  }

  #evict(dep: string): void {
    const keys = this.#byDep.get(dep)
    if (!keys) return
    for (const key of keys) this.#drop(key)
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key)
    if (!entry) return
    this.#entries.delete(key)
    for (const dep of entry.deps) {
      const keys = this.#byDep.get(dep)
      keys?.delete(key)
      if (keys?.size === 0) this.#byDep.delete(dep)
    }
  }
}
