import { createDb, type Db, writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimDue } from '../src/mail/mail-outbox.repository.js'
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp.js'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * Several processes drain one outbox (every server process runs a worker): no row is sent twice.
 * On PostgreSQL claims skip the rows another claim holds (FOR UPDATE SKIP LOCKED) and a claimed
 * row carries a lease; on SQLite one writer claims at a time.
 */
describe.each(DIALECTS)('two mail workers on one database (%s)', (dialect) => {
  let smtp: TestSmtpServer
  let a: TestServer
  let b: TestServer
  let other: Db

  beforeAll(async () => {
    smtp = await startSmtpServer()
    a = await createTestServer(dialect, { smtpUrl: smtp.url, sqliteFile: true })
    b = await createTestServer(dialect, { smtpUrl: smtp.url, shareDatabaseWith: a })
    // A third connection pool, to race claims on.
    other = await createDb({
      url: a.database.url,
      ...(a.database.schema ? { schema: a.database.schema } : {}),
    })
  })
  afterAll(async () => {
    await other?.close()
    await b?.close()
    await a?.close()
    await smtp?.close()
  })

  it('deliver every message of a burst exactly once', async () => {
    const n = 40
    const to = (i: number) => `burst${i}@example.com`
    const writes = Array.from({ length: n }, (_, i) =>
      a.services.mail.enqueue(to(i), { kind: 'reset_password_code', code: String(100000 + i) }),
    )
    await writeAtomically(a.db.db, a.db.dialect, writes.flat())
    a.services.mail.kick()
    b.services.mail.kick()
    for (let i = 0; i < n; i++) await smtp.waitForMail(to(i))
    await expect
      .poll(async () =>
        (await a.db.db.selectFrom('mail_outbox').select('status').execute()).every(
          (r) => r.status === 'sent',
        ),
      )
      .toBe(true)
    await new Promise((r) => setTimeout(r, 1_500))
    const burst = smtp.messages.filter((m) => m.to[0]?.startsWith('burst'))
    expect(burst).toHaveLength(n)
    expect(new Set(burst.map((m) => m.messageId)).size).toBe(n)
  })

  it('claims racing on due rows take disjoint rows, each once', async () => {
    // Stop both workers so only the racing claims below take rows.
    await a.services.mail.stop()
    await b.services.mail.stop()
    const n = 30
    const writes = Array.from({ length: n }, (_, i) =>
      a.services.mail.enqueue(`race${i}@example.com`, {
        kind: 'reset_password_code',
        code: '123123',
      }),
    )
    await writeAtomically(a.db.db, a.db.dialect, writes.flat())
    const now = Date.now()
    const claim = (db: Db) => claimDue(db.db, db.dialect, now, now + 60_000, 8)
    const rounds = await Promise.all([
      claim(a.db),
      claim(b.db),
      claim(other),
      claim(a.db),
      claim(b.db),
      claim(other),
    ])
    // A claim racing others may come back short (rows it skipped as locked); the worker simply
    // claims again. Whatever the interleaving, no row is taken twice.
    const claimed = rounds.flat()
    for (let more = await claim(a.db); more.length > 0; more = await claim(a.db))
      claimed.push(...more)
    const ids = claimed.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(n)
    // Each claim a batch: PostgreSQL once ran an `IN (… LIMIT 8 FOR UPDATE SKIP LOCKED)` pick
    // again per row and took every due row in one claim.
    expect(Math.max(...rounds.map((r) => r.length))).toBeLessThanOrEqual(8)
    expect(claimed.every((r) => r.attempts === 1)).toBe(true)
    // Leased: nothing more to claim until the lease ends.
    expect(await claim(other)).toHaveLength(0)
  })
})
