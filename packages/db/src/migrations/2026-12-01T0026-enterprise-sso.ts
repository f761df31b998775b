import type { Kysely } from 'kysely'

/*
 * Enterprise SSO (issue #18 item 4). `enterprise_connections`: one table for SAML and OpenID
 * Connect connections bound to email domains (Clerk's Enterprise Connections API covers both;
 * its older `/v1/saml_connections` shows the SAML rows). `protocol` is `saml` or `oidc`;
 * `domains` a JSON array of lowercase domains. SAML columns hold the IdP's entity id, SSO URL
 * and signing certificate (PEM, public); OIDC columns the issuer, client id and the client
 * secret sealed with the instance's SecretBox bound to the connection id.
 * `saml_assertions`: each accepted assertion id, per IdP entity, kept until the assertion
 * expires, its primary key refusing a second acceptance in any process (replay prevention).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('enterprise_connections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('domains', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('allow_subdomains', 'integer', (c) => c.notNull())
    .addColumn('allow_idp_initiated', 'integer', (c) => c.notNull())
    .addColumn('sync_user_attributes', 'integer', (c) => c.notNull())
    .addColumn('idp_entity_id', 'text')
    .addColumn('idp_sso_url', 'text')
    .addColumn('idp_certificate', 'text')
    .addColumn('idp_metadata_url', 'text')
    .addColumn('idp_metadata', 'text')
    .addColumn('attribute_mapping', 'text', (c) => c.notNull())
    .addColumn('oidc_issuer', 'text')
    .addColumn('oidc_client_id', 'text')
    .addColumn('oidc_client_secret_sealed', 'text')
    .addColumn('oidc_scopes', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('saml_assertions')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text', (c) => c.notNull())
    .addColumn('expire_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('saml_assertions_pk', ['issuer', 'assertion_id'])
    .execute()
  await db.schema
    .createIndex('saml_assertions_expire_idx')
    .on('saml_assertions')
    .column('expire_at')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('saml_assertions').execute()
  await db.schema.dropTable('enterprise_connections').execute()
}
