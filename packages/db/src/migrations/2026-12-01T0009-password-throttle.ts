import type { Kysely } from 'kysely'

/*
 * The progressive delay on password attempts (security issue "Brute force and lockout abuse"):
 * until when an account refuses password checks after repeated failures.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('throttled_until', 'bigint').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('throttled_until').execute()
}
