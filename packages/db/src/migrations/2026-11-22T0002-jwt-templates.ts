import type { Kysely } from 'kysely'

/* JWT templates (issue #3). Custom signing material is stored sealed (see server lib/crypto.ts). */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jwt_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('claims', 'text', (c) => c.notNull())
    .addColumn('lifetime', 'integer', (c) => c.notNull())
    .addColumn('allowed_clock_skew', 'integer', (c) => c.notNull())
    .addColumn('custom_signing_key', 'integer', (c) => c.notNull())
    .addColumn('signing_algorithm', 'text', (c) => c.notNull())
    .addColumn('signing_key_enc', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('jwt_templates').execute()
}
