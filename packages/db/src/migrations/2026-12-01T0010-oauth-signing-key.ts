import { type Kysely, sql } from 'kysely'

/*
 * OAuth ID tokens get their own signing key (security issue: an ID token handed to a third-party
 * application passed as the user's session token, being signed by the same key with the same
 * `iss`). RFC 8725 §3.12: one key per kind of token. `purpose` says which: `session` (session
 * and template tokens, published at /.well-known/jwks.json) or `oauth` (the OAuth issuer's ID
 * tokens, published at /oauth/jwks). Existing keys are session keys.
 *
 * At most one active OAuth key: processes booting together each try to create it, and the
 * index lets exactly one insert win, so every process signs with, and publishes, the same key.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('signing_keys')
    .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('session'))
    .execute()
  await sql`create unique index signing_keys_active_oauth_idx on signing_keys (purpose)
    where purpose = 'oauth' and status = 'active'`.execute(db)
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('signing_keys_active_oauth_idx').execute()
  await db.deleteFrom('signing_keys').where('purpose', '=', 'oauth').execute()
  await db.schema.alterTable('signing_keys').dropColumn('purpose').execute()
}
