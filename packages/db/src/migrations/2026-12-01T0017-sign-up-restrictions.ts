import type { Kysely } from 'kysely'

/*
 * Who may sign up (issue #16): Clerk's allowlist and blocklist identifiers
 * (`/v1/allowlist_identifiers`, `/v1/blocklist_identifiers`). An identifier is an email address
 * or a `*@domain` wildcard, stored lower-cased, once per list (the unique index answers Clerk's
 * `duplicate_record` even when two operators add the same one at once). Whether each list is
 * enforced is an instance setting (`restrictions`), not a row.
 */
const LISTS = ['allowlist_identifiers', 'blocklist_identifiers'] as const

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of LISTS) {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('identifier', 'text', (c) => c.notNull().unique())
      .addColumn('identifier_type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute()
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of LISTS) await db.schema.dropTable(table).execute()
}
