import { writeAtomically } from '@latchkey/db'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, DIALECTS, type TestServer } from './helpers/test-server.js'

/*
 * The webhook outbox's base (issue #19): an event is one more write of the caller's atomic
 * group. It exists exactly when the group committed, and its envelope is sealed at rest.
 */
describe.each(DIALECTS)('webhook outbox (%s)', (dialect) => {
  let server: TestServer

  beforeAll(async () => {
    server = await createTestServer(dialect)
    // The delivery worker would fan the events out (setting dispatched_at) while this looks.
    await server.services.webhookWorker.stop()
  })
  afterAll(async () => {
    await server?.close()
  })

  const events = () => server.db.db.selectFrom('webhook_events').selectAll().execute()

  it('records an event with the write that causes it, sealed, in Clerk’s envelope', async () => {
    const before = (await events()).length
    const data = { object: 'user', id: 'user_outbox1', email_addresses: [] }
    await writeAtomically(server.db.db, server.db.dialect, [
      server.services.webhookEvents.event('user.created', data, {
        ipAddress: '203.0.113.9',
        userAgent: 'test-agent',
      }),
    ])
    const rows = await events()
    expect(rows).toHaveLength(before + 1)
    const row = rows.at(-1)
    if (!row?.payload_sealed) throw new Error('no sealed payload')
    expect(row.id).toMatch(/^msg_/)
    expect(row.dispatched_at).toBeNull()
    expect(row.payload_sealed).not.toContain('user_outbox1')
    const envelope = server.services.webhookEvents.open(row.id, row.payload_sealed)
    expect(envelope).toEqual({
      data,
      object: 'event',
      type: 'user.created',
      timestamp: Number(row.created_at),
      instance_id: server.services.instance.id,
      event_attributes: { http_request: { client_ip: '203.0.113.9', user_agent: 'test-agent' } },
    })
    // Bound to its row: another id cannot open it.
    expect(() =>
      server.services.webhookEvents.open('msg_other', row.payload_sealed as string),
    ).toThrow()
  })

  it('records nothing when the group fails', async () => {
    const before = (await events()).length
    await expect(
      writeAtomically(server.db.db, server.db.dialect, [
        server.services.webhookEvents.event('user.deleted', {
          object: 'user',
          id: 'user_x',
          deleted: true,
        }),
        // Violates the users table's constraints: the whole group is rolled back.
        (q) => q.insertInto('users').values({ id: null } as never),
      ]),
    ).rejects.toThrow()
    expect(await events()).toHaveLength(before)
  })
})
