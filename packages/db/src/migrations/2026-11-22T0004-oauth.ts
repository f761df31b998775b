import type { Kysely } from 'kysely'

/*
 * OAuth 2 / OpenID Connect provider (issue #4).
 * - `oauth_applications`: clients created through the Backend API or dynamic registration. The
 *   client secret is stored as its SHA-256 (secrets are 256-bit random, so a fast hash suffices).
 * - `oidc_models`: what oidc-provider persists (grants, codes, access and refresh tokens,
 *   interactions, its sessions), one row a model instance, so they survive restarts and are shared
 *   by every process on one PostgreSQL database. The columns next to `payload` are the lookups
 *   the adapter needs (by grant, by session uid, by user code) and remembered consent (by account
 *   and client).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_applications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('client_secret_hash', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('public', 'integer', (c) => c.notNull())
    .addColumn('pkce_required', 'integer', (c) => c.notNull())
    .addColumn('consent_screen_enabled', 'integer', (c) => c.notNull())
    .addColumn('dynamically_registered', 'integer', (c) => c.notNull())
    .addColumn('client_uri', 'text')
    .addColumn('client_image_url', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('oauth_applications_created_idx')
    .on('oauth_applications')
    .columns(['created_at', 'id'])
    .execute()

  await db.schema
    .createTable('oidc_models')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('account_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_models_pk', ['kind', 'id'])
    .execute()
  await db.schema
    .createIndex('oidc_models_grant_idx')
    .on('oidc_models')
    .column('grant_id')
    .execute()
  await db.schema.createIndex('oidc_models_uid_idx').on('oidc_models').column('uid').execute()
  await db.schema
    .createIndex('oidc_models_user_code_idx')
    .on('oidc_models')
    .column('user_code')
    .execute()
  await db.schema
    .createIndex('oidc_models_consent_idx')
    .on('oidc_models')
    .columns(['kind', 'account_id', 'client_id'])
    .execute()
  await db.schema
    .createIndex('oidc_models_expires_idx')
    .on('oidc_models')
    .column('expires_at')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_models').execute()
  await db.schema.dropTable('oauth_applications').execute()
}
