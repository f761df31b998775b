import type { Kysely } from 'kysely'

/*
 * Session tasks (issue #17, "MFA required"): what a signed-in user must still do before the
 * session is active (Clerk's `pending` session and its `tasks`). A comma-separated list of
 * Clerk's task keys (`setup-mfa`), null when there is none; the stored status stays `active`,
 * so every query that ends or lists live sessions sees pending ones too.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('tasks', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('tasks').execute()
}
