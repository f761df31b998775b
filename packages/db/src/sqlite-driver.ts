import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely'

/**
 * SQLite's plain `BEGIN` is deferred: the transaction takes a read lock at its first read and
 * asks for the write lock at its first write. When another connection (another worker process)
 * is writing at that moment, the upgrade fails with SQLITE_BUSY at once — busy_timeout is not
 * consulted, since waiting could deadlock two readers that both want to write — and the request
 * ends in "database is locked". `BEGIN IMMEDIATE` takes the write lock first, waiting up to
 * busy_timeout for it, so writing transactions queue instead of failing
 * (https://www.sqlite.org/lang_transaction.html).
 *
 * Every transaction Latchkey opens writes, so IMMEDIATE is the default; a transaction that only
 * reads says so with `.setAccessMode('read only')` and begins deferred. One process holds one
 * connection (Kysely's driver serializes its use), so a process never waits on itself.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(
    connection: DatabaseConnection,
    settings?: TransactionSettings,
  ): Promise<void> {
    const begin = settings?.accessMode === 'read only' ? 'begin deferred' : 'begin immediate'
    await connection.executeQuery(CompiledQuery.raw(begin))
  }
}

/** Kysely's SQLite dialect whose writing transactions begin IMMEDIATE (see above). */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0]

  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config)
    this.#config = config
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config)
  }
}
