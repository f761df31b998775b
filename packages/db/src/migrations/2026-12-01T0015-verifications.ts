import type { Kysely } from 'kysely'

/*
 * The verification engine (issue #16). A verification proves one thing for one owner: a sign-in's
 * first factor, a sign-up's email address, a user's added address. One row per (owner, slot); a
 * new `prepare` replaces the row, so an older code or link stops working. Secrets (6-digit codes,
 * link tokens) are stored as an HMAC under a key derived from the instance's encryption key: a
 * million possible codes are no secret against a plain hash. `attempts` counts wrong answers and
 * is raised atomically before a code is compared, so parallel guesses cannot exceed the limit.
 *
 * A sign-up now waits for its email address to be proved before the user exists: it keeps the
 * fields it was given and the password's digest (argon2id, as users store it) until then.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('slot', 'text', (c) => c.notNull())
    .addColumn('strategy', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('email_address', 'text')
    .addColumn('email_address_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('redirect_url', 'text')
    .addColumn('verified_at_client', 'text')
    .addColumn('sent_at', 'bigint')
    .addColumn('verified_at', 'bigint')
    .addColumn('expire_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('verifications_owner_slot_idx')
    .on('verifications')
    .columns(['owner_id', 'slot'])
    .unique()
    .execute()
  await db.schema
    .createIndex('verifications_secret_idx')
    .on('verifications')
    .column('secret_hash')
    .execute()
  await db.schema.alterTable('sign_ups').addColumn('password_digest', 'text').execute()
  await db.schema.alterTable('sign_ups').addColumn('password_hasher', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('verifications').execute()
  await db.schema.alterTable('sign_ups').dropColumn('password_digest').execute()
  await db.schema.alterTable('sign_ups').dropColumn('password_hasher').execute()
}
