import type { Kysely } from 'kysely'

/*
 * WebAuthn passkeys (issue #17 item 5). A row is made when `POST /v1/me/passkeys` hands out
 * creation options, with no credential yet; `…/attempt_verification` fills in the credential
 * (its id unique across users, so one authenticator's key can never name two accounts), its
 * COSE public key, the signature counter and the authenticator's flags. The challenge lives in
 * the verification engine (`verifications`, owner = the passkey or the sign-in), which now keeps
 * the options the browser was given as `nonce` (Clerk's `verification.nonce`).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('passkeys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.unique())
    .addColumn('public_key', 'text')
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('device_type', 'text')
    .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('passkeys_user_idx').on('passkeys').column('user_id').execute()
  await db.schema.alterTable('verifications').addColumn('nonce', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('passkeys').execute()
  await db.schema.alterTable('verifications').dropColumn('nonce').execute()
}
