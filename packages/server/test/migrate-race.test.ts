import { createDb, migrate } from '@latchkey/db'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { TEST_PG_URL } from './helpers/test-server.js'

/*
 * Kysely's migrator introspects every schema of the database by name; a schema dropped meanwhile
 * (another app's, another test's) made it fail with "schema … does not exist". Latchkey must boot
 * anyway: migrate() retries that transient error.
 */
describe('migrations on a PostgreSQL database whose other schemas come and go', () => {
  it('migrate() succeeds while other schemas are created and dropped', async () => {
    const tag = Date.now().toString(36)
    const churn = new pg.Client({ connectionString: TEST_PG_URL })
    await churn.connect()
    let stop = false
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const s = `t_churn_${tag}_${i}`
        await churn.query(`create schema "${s}"`)
        await churn.query(`create table "${s}".t (id serial primary key, a text, b text, c text)`)
        await churn.query(`drop schema "${s}" cascade`)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
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
      await churn.end()
    }
  }, 120_000)
})
