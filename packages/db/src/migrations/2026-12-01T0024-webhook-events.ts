import type { Kysely } from 'kysely'

/*
 * The webhook outbox (issue #19): an event is a row written in the same atomic write as the
 * change that causes it, so a committed change always has its event and a rolled-back one has
 * none. `payload_sealed` is the whole envelope Clerk sends (`{ data, object: 'event', type,
 * timestamp, instance_id, event_attributes }`), sealed with the server's key bound to the row id:
 * `email.created` carries a message's body, live codes and links included. The id (`msg_…`) is
 * the `svix-id` of every delivery of the event, on every retry. `dispatched_at` is set once the
 * delivery worker has fanned the event out to the endpoints subscribed at that moment.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('webhook_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload_sealed', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('dispatched_at', 'bigint')
    .execute()
  await db.schema
    .createIndex('webhook_events_created_idx')
    .on('webhook_events')
    .column('created_at')
    .execute()
  await db.schema
    .createIndex('webhook_events_undispatched_idx')
    .on('webhook_events')
    .columns(['dispatched_at', 'created_at'])
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_events').execute()
}
