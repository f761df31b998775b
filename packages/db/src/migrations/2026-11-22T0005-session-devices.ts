import type { Kysely } from 'kysely'

/* The device a session was started on, for the user profile's "Active devices" (issue #5). */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute()
  await db.schema.alterTable('sessions').addColumn('ip_address', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('ip_address').execute()
  await db.schema.alterTable('sessions').dropColumn('user_agent').execute()
}
