import { createDb, migrate } from '@latchkey/db'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { TEST_PG_URL } from './helpers/test-server.js'

/*
 * Kysely's migrator introspects every schema of the database by name; a schema dropped meanwhile
 * (another app's, another test's) made it fail with "schema … does not exist" — retried, it still
 * failed in CI. Latchkey must boot anyway: its migrator looks only at its own schema.
 */
describe('migrations on a PostgreSQL database whose other schemas come and go', () => {
  it('migrate() succeeds while other schemas are created and dropped', async () => {
    const tag = Date.now().toString(36)
    const churners = await Promise.all(
      [0, 1, 2].map(async () => {
        const client = new pg.Client({ connectionString: TEST_PG_URL })
        await client.connect()
        return client
      }),
    )
    const churn = churners[0] as pg.Client
    let stop = false
    // Three connections create and drop schemas without pause: the catalog is never still.
    const churning = Promise.all(
      churners.map(async (client, c) => {
        for (let i = 0; !stop; i++) {
          const s = `t_churn_${tag}_${c}_${i}`
          await client.query(`create schema "${s}"`)
          await client.query(`create table "${s}".t (id serial primary key, a text, b text)`)
          await client.query(`drop schema "${s}" cascade`)
        }
      }),
    )
    const schemas: string[] = []
    try {
      for (let n = 0; n < 12; n++) {
        const schema = `t_mig_${tag}_${n}`
        schemas.push(schema)
        const db = await createDb({ url: TEST_PG_URL, schema })
        try {
          await migrate(db)
          await migrate(db) // and again, with nothing left to do
          expect(await db.db.selectFrom('sessions').select('id').execute()).toEqual([])
        } finally {
          await db.close()
        }
      }
    } finally {
      stop = true
      await churning
      for (const s of schemas) await churn.query(`drop schema if exists "${s}" cascade`)
      await Promise.all(churners.map((client) => client.end()))
    }
  }, 120_000)
})
