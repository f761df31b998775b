import {
  createDb,
  type Db,
  migrate,
  prepared,
  named as runNamed,
  writeAtomically,
} from '@latchkey/db'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, TEST_PG_URL } from './helpers/test-server.js'

const row = (key: string, count: number) => ({ key, window_start: 1, count })

/** Prepared queries (compiled once, run with new parameters) on both dialects. */
describe.each(DIALECTS)('prepared queries (%s)', (dialect) => {
  let db: Db
  const schema = `t_prep_${Date.now().toString(36)}`
  // A constant between two parameters: each value must land in its own slot.
  const fromExcept = prepared((q, from: string, except: string) =>
    q
      .selectFrom('rate_limits')
      .select(['key', 'count'])
      .where('key', '>=', from)
      .where('count', '>', 0)
      .where('key', '!=', except)
      .orderBy('key'),
  )

  beforeAll(async () => {
    db = await createDb(
      dialect === 'sqlite' ? { url: 'sqlite::memory:' } : { url: TEST_PG_URL, schema },
    )
    await migrate(db)
    await db.db
      .insertInto('rate_limits')
      .values([row('a', 1), row('b', 2), row('c', 0), row('d', 4)])
      .execute()
  })
  afterAll(async () => {
    await db.close()
    if (dialect === 'postgres') {
      const c = new pg.Client({ connectionString: TEST_PG_URL })
      await c.connect()
      await c.query(`drop schema if exists "${schema}" cascade`)
      await c.end()
    }
  })

  it('runs with each call’s parameters and keeps the constants', async () => {
    expect(await fromExcept(db.db, 'a', 'b')).toEqual([
      { key: 'a', count: 1 },
      { key: 'd', count: 4 },
    ])
    expect(await fromExcept(db.db, 'b', 'd')).toEqual([{ key: 'b', count: 2 }])
    expect(await fromExcept(db.db, 'e', 'a')).toEqual([])
  })

  if (dialect === 'postgres')
    it('PostgreSQL runs them as named statements, prepared once per connection', async () => {
      const one = await createDb({ url: TEST_PG_URL, schema, poolSize: 1 })
      try {
        const listed = () =>
          sql<{
            name: string
            statement: string
          }>`select name, statement from pg_prepared_statements`
            .execute(one.db)
            .then((r) => r.rows)
        expect(await listed()).toEqual([])
        expect(await fromExcept(one.db, 'a', 'b')).toHaveLength(2)
        expect(await fromExcept(one.db, 'b', 'x')).toHaveLength(2)
        const named = await listed()
        expect(named).toHaveLength(1)
        expect(named[0]?.name).toMatch(/^latchkey_\d+$/)
        expect(named[0]?.statement).toContain('"rate_limits"')
        // A write of a fixed shape runs named too, whatever its values' types.
        await runNamed(one.db, one.db.insertInto('rate_limits').values(row('n', 7)))
        await runNamed(one.db, one.db.insertInto('rate_limits').values(row('o', 8)))
        expect(await listed()).toHaveLength(2)
        expect((await fromExcept(one.db, 'n', 'x')).map((r) => r.key)).toEqual(['n', 'o'])
        await one.db.deleteFrom('rate_limits').where('key', 'in', ['n', 'o']).execute()
      } finally {
        await one.close()
      }
    })

  it('works inside a transaction, which sees its own writes', async () => {
    await db.db.transaction().execute(async (trx) => {
      await trx.insertInto('rate_limits').values(row('e', 5)).execute()
      expect((await fromExcept(trx, 'd', 'x')).map((r) => r.key)).toEqual(['d', 'e'])
    })
  })

  it('writes a group atomically: all of it, or (one write failing) none of it', async () => {
    const keys = () =>
      db.db
        .selectFrom('rate_limits')
        .select(['key', 'count'])
        .where('key', 'like', 'w%')
        .orderBy('key')
        .execute()
    await writeAtomically(db.db, dialect, [
      (q) => q.insertInto('rate_limits').values(row('w1', 1)),
      (q) => q.insertInto('rate_limits').values(row('w2', 2)),
      (q) => q.updateTable('rate_limits').set({ count: 9 }).where('key', '=', 'a'),
    ])
    expect(await keys()).toEqual([
      { key: 'w1', count: 1 },
      { key: 'w2', count: 2 },
    ])
    expect(
      await db.db.selectFrom('rate_limits').select('count').where('key', '=', 'a').execute(),
    ).toEqual([{ count: 9 }])
    // The last write collides with an existing key: the first must not land either.
    await expect(
      writeAtomically(db.db, dialect, [
        (q) => q.insertInto('rate_limits').values(row('w3', 3)),
        (q) => q.updateTable('rate_limits').set({ count: 8 }).where('key', '=', 'a'),
        (q) => q.insertInto('rate_limits').values(row('w1', 1)),
      ]),
    ).rejects.toThrow()
    expect((await keys()).map((r) => r.key)).toEqual(['w1', 'w2'])
    expect(
      await db.db.selectFrom('rate_limits').select('count').where('key', '=', 'a').execute(),
    ).toEqual([{ count: 9 }])
    await db.db.updateTable('rate_limits').set({ count: 1 }).where('key', '=', 'a').execute()
    await db.db.deleteFrom('rate_limits').where('key', 'like', 'w%').execute()
  })

  if (dialect === 'postgres')
    it('PostgreSQL writes a group as one named statement, not a transaction', async () => {
      const one = await createDb({ url: TEST_PG_URL, schema, poolSize: 1 })
      try {
        const write = (a: string, b: string) =>
          writeAtomically(one.db, dialect, [
            (q) => q.insertInto('rate_limits').values(row(a, 1)),
            (q) => q.insertInto('rate_limits').values(row(b, 2)),
          ])
        await write('x1', 'x2')
        await write('x3', 'x4')
        const statements = await sql<{
          statement: string
        }>`select statement from pg_prepared_statements`.execute(one.db)
        expect(statements.rows).toHaveLength(1)
        expect(statements.rows[0]?.statement).toMatch(/^with "latchkey_w0" as \(insert into/)
        await one.db.deleteFrom('rate_limits').where('key', 'like', 'x%').execute()
      } finally {
        await one.close()
      }
    })

  it('a value that looks like SQL is only ever a value', async () => {
    expect(await fromExcept(db.db, "z' or '1'='1", 'x')).toEqual([])
  })
})
