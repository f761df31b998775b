import type { Kysely } from 'kysely'

/*
 * Second factors (issue #17): a user's TOTP secret (one per user, as Clerk; sealed with the
 * instance's SecretBox, bound to the user id) with the last time step accepted, so a code is
 * accepted once; backup codes stored as HMACs, each single use. The users' flags live on `users`
 * so the user resource and the change feed see them without a join; `sessions.second_factor_at`
 * is when the session's second factor was verified (the token's `fva`).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('totp_secrets')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('last_used_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('backup_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('set_id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('backup_codes_user_idx')
    .on('backup_codes')
    .column('user_id')
    .execute()
  await db.schema
    .alterTable('users')
    .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .alterTable('users')
    .addColumn('backup_code_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.alterTable('sessions').addColumn('second_factor_at', 'bigint').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('backup_codes').execute()
  await db.schema.dropTable('totp_secrets').execute()
  await db.schema.alterTable('users').dropColumn('totp_enabled').execute()
  await db.schema.alterTable('users').dropColumn('backup_code_enabled').execute()
  await db.schema.alterTable('sessions').dropColumn('second_factor_at').execute()
}
