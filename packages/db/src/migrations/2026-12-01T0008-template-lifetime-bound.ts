import { type Kysely, sql } from 'kysely'

/*
 * JWT-template tokens live at most 24 hours (issue #13 §2): a template token is a bearer
 * credential that survives the revocation of its session, so templates saved with a longer
 * lifetime (Clerk allowed ten years) are brought down to the bound.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update jwt_templates set lifetime = 86400, updated_at = ${Date.now()}
    where lifetime > 86400`.execute(db)
}

// The longer lifetimes are not restored: they were the problem.
export async function down(): Promise<void> {}
