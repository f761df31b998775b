import { type Kysely, SqliteAdapter } from 'kysely'

/*
 * Profile images uploaded through `POST /v1/me/profile_image` (issue #15). The bytes live in
 * the database, so every process of a cluster serves them; a user has at most one, named by
 * `users.profile_image_id`. A new upload is a new row with a new id (the served URL names the
 * id, so it may be cached for ever); the old row is deleted in the same transaction.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  const bytes = db.getExecutor().adapter instanceof SqliteAdapter ? 'blob' : 'bytea'
  await db.schema
    .createTable('profile_images')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('data', bytes, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('profile_images_user_id')
    .on('profile_images')
    .column('user_id')
    .execute()
  await db.schema.alterTable('users').addColumn('profile_image_id', 'text').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('profile_image_id').execute()
  await db.schema.dropTable('profile_images').execute()
}
