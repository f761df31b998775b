import type { Kysely } from 'kysely'

/*
 * Social providers beyond generic OpenID Connect (issue #18, item 1). `oauth_connections` gains
 * Apple's `team_id` and `key_id` (its client secret is a JWT signed with the team's private key,
 * which is sealed in `client_secret_sealed`) and `endpoint_base_url`, where a plain OAuth 2
 * provider's endpoints (GitHub, Discord) are served from when not their public hosts — loopback
 * only, for a stand-in in tests or a local proxy. `external_accounts` gains `username` (GitHub's
 * login, Discord's username, GitLab's nickname), Clerk's `ExternalAccount.username`.
 * One column per statement: SQLite's ALTER TABLE adds one at a time.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_connections').addColumn('team_id', 'text').execute()
  await db.schema.alterTable('oauth_connections').addColumn('key_id', 'text').execute()
  await db.schema.alterTable('oauth_connections').addColumn('endpoint_base_url', 'text').execute()
  await db.schema.alterTable('external_accounts').addColumn('username', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('external_accounts').dropColumn('username').execute()
  await db.schema.alterTable('oauth_connections').dropColumn('endpoint_base_url').execute()
  await db.schema.alterTable('oauth_connections').dropColumn('key_id').execute()
  await db.schema.alterTable('oauth_connections').dropColumn('team_id').execute()
}
