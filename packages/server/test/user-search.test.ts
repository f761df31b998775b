import { createClerkClient } from '@clerk/backend'
import { createDb, migrate } from '@latchkey/db'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, DIALECTS, TEST_PG_URL, type TestServer } from './helpers/test-server.js'

/**
 * `GET /v1/users?query=` (the dashboard's Users search, Clerk's `getUserList({ query })`): a
 * substring of names, usernames and addresses, ignoring case, every word of it; the whole id or
 * external id. Read through the trigram indexes of migration 0034 — the plans below would change
 * if they were gone — and kept by triggers whatever writes a user or an address.
 */
describe.each(DIALECTS)('user search (%s)', (dialect) => {
  let server: TestServer
  let clerk: ReturnType<typeof createClerkClient>
  const ids: Record<string, string> = {}
  const find = async (query: string) =>
    (await clerk.users.getUserList({ query, limit: 100 })).data.map((u) => u.id).sort()
  const only = (...names: string[]) => names.map((n) => ids[n]).sort()

  beforeAll(async () => {
    server = await createTestServer(dialect)
    clerk = createClerkClient({ secretKey: server.secretKey, apiUrl: server.url })
    const people = [
      ['ada', 'Ada', 'Lovelace', 'countess', 'ada@analytical.example', 'ext-ada'],
      ['grace', 'Grace', 'Hopper', 'amazing_grace', 'grace.hopper@navy.example', 'ext-grace'],
      ['alan', 'Alan', 'Turing', 'alan', 'alan@bletchley.example', null],
      ['odd', 'Per%cent "quote\\slash', 'Under_score', null, 'odd@weird.example', null],
    ] as const
    for (const [key, firstName, lastName, username, email, externalId] of people) {
      const u = await clerk.users.createUser({
        emailAddress: [email],
        firstName,
        lastName,
        ...(username ? { username } : {}),
        ...(externalId ? { externalId } : {}),
        skipPasswordRequirement: true,
      } as never)
      ids[key] = u.id
    }
  })
  afterAll(() => server.close())

  it('finds a substring of an address, a name or a username, ignoring case', async () => {
    expect(await find('analytical')).toEqual(only('ada'))
    expect(await find('NAVY.EX')).toEqual(only('grace'))
    expect(await find('ovela')).toEqual(only('ada'))
    expect(await find('hopp')).toEqual(only('grace'))
    expect(await find('azing_gr')).toEqual(only('grace'))
    expect(await find('.example')).toEqual(only('ada', 'grace', 'alan', 'odd'))
    expect(await find('nobody-has-this')).toEqual([])
    expect(await clerk.users.getCount({ query: 'example' })).toBe(4)
    expect(await clerk.users.getCount({ query: 'hopper' })).toBe(1)
  })

  it('words of two or fewer characters match too (by a scan)', async () => {
    expect(await find('al')).toEqual(only('ada', 'alan')) // anALytical, ALan
    expect(await find('z')).toEqual(only('grace'))
  })

  it('every word must match, in any field: a full name finds its user', async () => {
    expect(await find('Ada Lovelace')).toEqual(only('ada'))
    expect(await find('  grace   navy ')).toEqual(only('grace'))
    expect(await find('ada hopper')).toEqual([])
    expect(await find('   ')).toEqual(only('ada', 'grace', 'alan', 'odd')) // no query at all
  })

  it('more than eight different words is refused, naming the parameter', async () => {
    const ask = (query: string) =>
      fetch(`${server.url}/v1/users?query=${encodeURIComponent(query)}`, {
        headers: { authorization: `Bearer ${server.secretKey}` },
      })
    const nine = await ask('a b c d e f g h i')
    expect(nine.status).toBe(422)
    expect(JSON.stringify(await nine.json())).toMatch(/query.*at most 8 words|at most 8 words/)
    expect((await ask('a b c d e f g h A B C')).status).toBe(200) // the same eight, twice
  })

  it('the whole id or external id finds its user; a part of one does not', async () => {
    expect(await find(ids.alan as string)).toEqual(only('alan'))
    expect(await find('ext-grace')).toEqual(only('grace'))
    expect(await find('xt-gra')).toEqual([])
  })

  it('%, _, quotes and backslashes are matched as themselves', async () => {
    expect(await find('per%c')).toEqual(only('odd'))
    expect(await find('%')).toEqual(only('odd'))
    expect(await find('r_s')).toEqual(only('odd'))
    expect(await find('_')).toEqual(only('grace', 'odd'))
    expect(await find('"quote')).toEqual(only('odd'))
    expect(await find('"')).toEqual(only('odd'))
    expect(await find('quote\\sl')).toEqual(only('odd'))
    expect(await find('e\\')).toEqual(only('odd'))
  })

  it('follows every change: a renamed user, an added and a removed address, a deleted user', async () => {
    await clerk.users.updateUser(ids.alan as string, { firstName: 'Alonzo', username: 'church' })
    expect(await find('alonzo')).toEqual(only('alan'))
    expect(await find('church')).toEqual(only('alan'))
    expect(await find('alan')).toEqual(only('alan')) // still the address alan@…
    expect(await find('turing')).toEqual(only('alan')) // last name untouched
    const added = await clerk.emailAddresses.createEmailAddress({
      userId: ids.ada as string,
      emailAddress: 'countess@engine.example',
      verified: true,
    })
    expect(await find('engine.ex')).toEqual(only('ada'))
    await clerk.emailAddresses.deleteEmailAddress(added.id)
    expect(await find('engine.ex')).toEqual([])
    await clerk.users.deleteUser(ids.grace as string)
    expect(await find('hopper')).toEqual([])
    expect(await find('navy')).toEqual([])
  })

  it('a search of three characters or more reads the trigram index, not every user', async () => {
    const { db } = server.db
    if (dialect === 'sqlite') {
      const plan = await sql<{ detail: string }>`explain query plan
        select rowid from user_search where user_search match ${'"lovelace"'}`.execute(db)
      expect(plan.rows.map((r) => r.detail).join('\n')).toMatch(/VIRTUAL TABLE INDEX/)
      return
    }
    // Planner statistics of a tiny table would favour a scan: ask for the plan with scans off.
    await db.connection().execute(async (c) => {
      await sql`set enable_seqscan = off`.execute(c)
      const plan = await sql<{ 'QUERY PLAN': string }>`explain
        select id from users where lower(last_name) like ${'%ovela%'}`.execute(c)
      await sql`reset enable_seqscan`.execute(c)
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/users_last_name_trgm_idx/)
    })
  })
})

describe.each(DIALECTS)('migration 0034 on a database with users (%s)', (dialect) => {
  it('finds the users and addresses that were there before it', async () => {
    const schema = `t_mig34_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
    const handle = await createDb(
      dialect === 'sqlite' ? { url: 'sqlite::memory:' } : { url: TEST_PG_URL, schema },
    )
    try {
      await migrate(handle, { upTo: '2026-12-01T0032-operators' })
      const now = Date.now()
      await handle.db
        .insertInto('users')
        .values({
          id: 'user_before',
          first_name: 'Katherine',
          last_name: 'Johnson',
          public_metadata: '{}',
          private_metadata: '{}',
          unsafe_metadata: '{}',
          created_at: now,
          updated_at: now,
        } as never)
        .execute()
      await handle.db
        .insertInto('email_addresses')
        .values({
          id: 'idn_before',
          user_id: 'user_before',
          email_address: 'kj@nasa.example',
          verified: 1,
          created_at: now,
          updated_at: now,
        })
        .execute()
      await migrate(handle)
      const { listUsers } = await import('../src/users/users.repository.js')
      const order = { column: 'created_at', direction: 'desc' } as const
      for (const query of ['therin', 'JOHNS', 'nasa.ex', 'kj']) {
        const rows = await listUsers(handle.db, { query }, order, 10, 0)
        expect(rows.map((r) => r.id)).toEqual(['user_before'])
      }
    } finally {
      if (dialect === 'postgres')
        await sql.raw(`drop schema "${schema}" cascade`).execute(handle.db)
      await handle.close()
    }
  })
})
