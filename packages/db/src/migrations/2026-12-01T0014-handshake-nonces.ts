import type { Kysely } from 'kysely'

/*
 * Clerk's handshake (`GET /v1/client/handshake?format=nonce`, issue #15): the Frontend API sends
 * the browser back to the app with a one-time nonce, and the app's server redeems it through the
 * Backend API (`GET /v1/clients/handshake_payload`) for the cookies to set. A row names what the
 * handshake proved (which client, which of its sessions, for which app origin); the session token
 * is minted when the nonce is redeemed, so no token is stored. The nonce itself is stored as
 * SHA-256, used once (the redemption deletes the row) and lives a minute. `dev_browser` is the
 * opaque `__clerk_db_jwt` value handed to an app on a development (`pk_test_`) key, which
 * `@clerk/backend` asks for before anything else on such a key; it proves and opens nothing.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('handshake_nonces')
    .addColumn('nonce_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('client_uat', 'bigint', (c) => c.notNull())
    .addColumn('suffixed_cookies', 'integer', (c) => c.notNull())
    .addColumn('dev_browser', 'text')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('handshake_nonces_expires_idx')
    .on('handshake_nonces')
    .column('expires_at')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('handshake_nonces').execute()
}
