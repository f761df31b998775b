import type { CompiledQuery, Kysely, QueryCreator } from 'kysely'
import type { DialectName } from './create-db.js'
import type { Database } from './schema.js'

type Q = Kysely<Database>
type Compilable<R> = { compile(): CompiledQuery<R> }

/**
 * The SQL of every prepared query, with a statement name: PostgreSQL runs these as named
 * (server-side prepared) statements, parsed and planned once per connection — half the
 * database's CPU for a point read (create-db.ts). A fixed set: one per `prepared()` call site.
 */
export const PREPARED_STATEMENTS = new Map<string, string>()

function nameStatement(sql: string): void {
  if (!PREPARED_STATEMENTS.has(sql))
    PREPARED_STATEMENTS.set(sql, `latchkey_${PREPARED_STATEMENTS.size + 1}`)
}

/**
 * Runs a query as a named statement on PostgreSQL (see {@link PREPARED_STATEMENTS}), compiling it
 * as usual: for the hot writes, whose rows are not strings only. Only for queries of a fixed
 * shape — each distinct SQL text becomes a statement every connection keeps.
 *
 * @example
 * ```ts
 * await named(trx, trx.insertInto('clients').values(row))
 * ```
 */
export async function named<R>(db: Q, query: Compilable<R>): Promise<R[]> {
  const compiled = query.compile()
  nameStatement(compiled.sql)
  return (await db.executeQuery(compiled)).rows
}

/** Marks a parameter slot while the query is compiled once; never reaches the database. */
const slot = (i: number) => `\u0000latchkey-param-${i}\u0000`

/**
 * A query built and compiled once per database, then run with new parameters each call. Kysely
 * rebuilds and recompiles a query on every call; on the hot paths (a token mint is two point
 * reads) that was a tenth of the CPU. `build` receives placeholder values: use them only as
 * values (in `where`, `values`, `set`), never to choose the query's shape.
 *
 * @example
 * ```ts
 * const sessionById = prepared((db, id: string) =>
 *   db.selectFrom('sessions').selectAll().where('id', '=', id))
 * const [row] = await sessionById(db, 'sess_123')
 * ```
 */
export function prepared<P extends string[], R>(
  build: (db: Q, ...params: P) => Compilable<R>,
): (db: Q, ...params: P) => Promise<R[]> {
  const cache = new WeakMap<Q, { query: CompiledQuery<R>; slots: (number | undefined)[] }>()
  return async (db, ...params) => {
    // Inside a transaction `db` is a new object each time: compile then, and do not keep it.
    let entry = cache.get(db)
    if (!entry) {
      const placeholders = params.map((_, i) => slot(i)) as P
      const query = build(db, ...placeholders).compile()
      const slots = query.parameters.map((v) => {
        const i = placeholders.indexOf(v as string)
        return i >= 0 ? i : undefined
      })
      entry = { query, slots }
      nameStatement(query.sql)
      if (!db.isTransaction) cache.set(db, entry)
    }
    const { query, slots } = entry
    const parameters = query.parameters.map((v, n) => {
      const i = slots[n]
      return i === undefined ? v : params[i]
    })
    const result = await db.executeQuery<R>({ ...query, parameters })
    return result.rows
  }
}

/** One write of an atomic group, built on the query creator it is given (see {@link writeAtomically}). */
export type Write = (q: QueryCreator<Database>) => Compilable<unknown>

/**
 * Runs a few writes as one atomic unit. On PostgreSQL that is a single statement — every write
 * but the last a data-modifying CTE — run as a named statement: one round trip instead of BEGIN,
 * one per write, and COMMIT (a sign-in's five writes). On SQLite, where a statement costs no
 * round trip, a transaction running them in order.
 *
 * The writes share one snapshot on PostgreSQL: none may read what another writes, nor touch the
 * same row (foreign keys between them are fine: PostgreSQL checks those at the end of the
 * statement). Order them as SQLite must run them: a referenced row before the rows that name it.
 * Only for writes of fixed shapes, as for {@link named}.
 *
 * @example
 * ```ts
 * await writeAtomically(db, dialect, [
 *   (q) => q.insertInto('clients').values(client),
 *   (q) => q.insertInto('sessions').values(session),
 * ])
 * ```
 */
export async function writeAtomically(db: Q, dialect: DialectName, writes: Write[]): Promise<void> {
  if (dialect === 'sqlite') {
    await db.transaction().execute(async (trx) => {
      for (const write of writes) await trx.executeQuery(write(trx).compile())
    })
    return
  }
  const last = writes.at(-1)
  if (!last) return
  let q: QueryCreator<Database> = db
  writes.slice(0, -1).forEach((write, i) => {
    // Each CTE gets a name no table has; nothing reads them.
    q = q.with(`latchkey_w${i}`, (c) => write(c) as never) as unknown as QueryCreator<Database>
  })
  await named(db, last(q))
}
