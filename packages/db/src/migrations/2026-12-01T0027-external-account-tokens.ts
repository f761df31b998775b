import type { Kysely } from 'kysely'

/*
 * Linked accounts beyond sign-in (issue #18 item 3). `external_accounts` keeps the provider's
 * tokens so the app's backend can call the provider for the user (Clerk's
 * `GET /v1/users/{id}/oauth_access_tokens/{provider}`): the access and refresh tokens sealed with
 * the instance's SecretBox bound to the external account id, when the access token expires, its
 * type and granted scopes; rewritten on each sign-in through the provider and on each refresh.
 * `oauth_flows.session_id`: a connect flow (`POST /v1/me/external_accounts`) is bound to the
 * session that started it, and its callback links to that session's user only.
 * `oauth_flows.account_id`: the external account a connect flow creates (its id is answered
 * before the provider is visited) or reauthorizes.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('external_accounts').addColumn('access_token_sealed', 'text').execute()
  await db.schema
    .alterTable('external_accounts')
    .addColumn('refresh_token_sealed', 'text')
    .execute()
  await db.schema.alterTable('external_accounts').addColumn('token_expires_at', 'bigint').execute()
  await db.schema.alterTable('external_accounts').addColumn('token_type', 'text').execute()
  await db.schema.alterTable('external_accounts').addColumn('token_scopes', 'text').execute()
  await db.schema.alterTable('oauth_flows').addColumn('session_id', 'text').execute()
  await db.schema.alterTable('oauth_flows').addColumn('account_id', 'text').execute()
  await db.schema
    .createIndex('oauth_flows_expire_idx')
    .on('oauth_flows')
    .column('expire_at')
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oauth_flows_expire_idx').execute()
  for (const c of ['account_id', 'session_id'])
    await db.schema.alterTable('oauth_flows').dropColumn(c).execute()
  for (const c of [
    'token_scopes',
    'token_type',
    'token_expires_at',
    'refresh_token_sealed',
    'access_token_sealed',
  ])
    await db.schema.alterTable('external_accounts').dropColumn(c).execute()
}
