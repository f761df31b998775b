import type { Kysely } from 'kysely'

/*
 * The mail outbox (issue #16): a message is a row written in the same atomic write as the change
 * that needs it (a verification's code), so a committed change always has its mail and a
 * rolled-back one has none. A worker in every process claims due rows (`locked_until` is its
 * lease), sends them, and records the outcome. The bodies carry live codes and links: they are
 * sealed with the server's key and dropped once the message is sent or given up; the row's
 * metadata stays a week for the operator, then is pruned. `message_id` is fixed at enqueue, so a
 * retry after a crash (the send may have reached the relay) is the same message, not another.
 * `status`: `queued`, `sent` or `failed` (given up).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mail_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_sealed', 'text')
    .addColumn('html_sealed', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('mail_outbox_due_idx')
    .on('mail_outbox')
    .columns(['status', 'next_attempt_at'])
    .execute()
  await db.schema
    .createIndex('mail_outbox_created_idx')
    .on('mail_outbox')
    .column('created_at')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_outbox').execute()
}
