import type { Kysely } from 'kysely'

/*
 * The operator dashboard, step 1 (issue #20):
 * - `operators`: users who may sign in to the dashboard (the CLI or the Backend API marks them).
 *   Removing the user removes the row.
 * - `operator_credentials`: the short-lived `lk_op_…` credentials operator sign-in issues, stored
 *   as SHA-256 (the token itself is returned once). `last_used_at` moves at most once a minute;
 *   the credential lapses 30 minutes after it and 12 hours after `created_at` at the latest.
 * - `audit_events`: what operators did through the Backend API, and their sign-ins and
 *   sign-outs. No foreign key: the record outlives the user it names.
 * - `api_keys.label`: a name the operator gives a secret key.
 * - `sessions_created_at_idx`, `sessions_status_idx`: the instance's daily sign-in counts and
 *   its active-session count are range scans of an index, not of the table.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('operator_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('operator_credentials_user_idx')
    .on('operator_credentials')
    .column('user_id')
    .execute()
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('credential_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('audit_events_created_idx')
    .on('audit_events')
    .columns(['created_at', 'id'])
    .execute()
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_id', 'created_at'])
    .execute()
  await db.schema.alterTable('api_keys').addColumn('label', 'text').execute()
  await db.schema
    .createIndex('sessions_created_at_idx')
    .on('sessions')
    .column('created_at')
    .execute()
  await db.schema
    .createIndex('sessions_status_idx')
    .on('sessions')
    .columns(['status', 'expire_at'])
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_status_idx').execute()
  await db.schema.dropIndex('sessions_created_at_idx').execute()
  await db.schema.alterTable('api_keys').dropColumn('label').execute()
  await db.schema.dropTable('audit_events').execute()
  await db.schema.dropTable('operator_credentials').execute()
  await db.schema.dropTable('operators').execute()
}
