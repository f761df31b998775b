import type { Kysely } from 'kysely'

/*
 * Social connections (issue #18, first step). `oauth_connections`: an operator's upstream OpenID
 * Connect providers (one per provider key: `google`, `microsoft`, `custom_<slug>`), the client
 * secret sealed with the instance's SecretBox bound to the connection id. `external_accounts`:
 * a user's identity at a provider, `(provider, provider_user_id)` unique so one upstream account
 * is linked to one user. `oauth_flows`: one per redirect to a provider, bound to its sign-in's
 * verification and client, with the state's HMAC (looked up on the callback, kept so a replay is
 * told apart from a forgery), the nonce, the PKCE verifier (sealed), where the app wants the
 * browser back, when the callback used it (single use) and the claims the provider asserted.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull().unique())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('external_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_user_id', 'text', (c) => c.notNull())
    .addColumn('email_address', 'text')
    .addColumn('email_verified', 'integer')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('image_url', 'text')
    .addColumn('approved_scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('external_accounts_provider_sub', ['provider', 'provider_user_id'])
    .execute()
  await db.schema
    .createIndex('external_accounts_user_idx')
    .on('external_accounts')
    .column('user_id')
    .execute()
  await db.schema
    .createTable('oauth_flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('verification_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
    .addColumn('redirect_url', 'text', (c) => c.notNull())
    .addColumn('action_complete_redirect_url', 'text')
    .addColumn('claims', 'text')
    .addColumn('used_at', 'bigint')
    .addColumn('expire_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('oauth_flows_owner_idx')
    .on('oauth_flows')
    .column('owner_id')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_flows').execute()
  await db.schema.dropTable('external_accounts').execute()
  await db.schema.dropTable('oauth_connections').execute()
}
