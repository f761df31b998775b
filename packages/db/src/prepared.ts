import type { CompiledQuery, Kysely } from 'kysely'
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
