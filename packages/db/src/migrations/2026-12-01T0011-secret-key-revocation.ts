import { type Kysely, SqliteAdapter, sql } from 'kysely'

/*
 * Secret keys can be issued and revoked while servers run (the operator CLI's `secret-keys`).
 * A key's first characters are kept to tell keys apart in a list (keys issued before this
 * migration have none), and a revoked (deleted) key is announced on the change feed as
 * `api_key:<id>`, so every process forgets it at once: processes keep the keys they have
 * accepted in memory (issue "Bad input and secrets at rest").
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('prefix', 'text').execute()
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger api_keys_${op}_changed after ${op} on api_keys
           begin insert into latchkey_changes (key) values ('api_key:' || old.id); end`,
        )
        .execute(db)
    }
    return
  }
  await sql`create trigger api_keys_changed after update or delete on api_keys
    for each row execute function latchkey_notify_change('api_key')`.execute(db)
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const op of ['update', 'delete'])
      await sql.raw(`drop trigger api_keys_${op}_changed`).execute(db)
  } else {
    await sql`drop trigger api_keys_changed on api_keys`.execute(db)
  }
  await db.schema.alterTable('api_keys').dropColumn('prefix').execute()
}
