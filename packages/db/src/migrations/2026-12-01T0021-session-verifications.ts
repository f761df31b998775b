import type { Kysely } from 'kysely'

/*
 * Step-up (issue #17 item 4, Clerk's reverification): `sessions.first_factor_at` is when the
 * session's first factor was last proved (null: when the session began, `created_at`), beside
 * `second_factor_at` (migration 0018); together they are the token's `fva`. A session
 * verification (`POST /v1/client/sessions/{id}/verify`) is one per session — a new one replaces
 * the last — and owns its factor verifications in `verifications` like a sign-in does.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('first_factor_at', 'bigint').execute()
  await db.schema
    .createTable('session_verifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) =>
      c.notNull().unique().references('sessions.id').onDelete('cascade'),
    )
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('expire_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_verifications').execute()
  await db.schema.alterTable('sessions').dropColumn('first_factor_at').execute()
}
