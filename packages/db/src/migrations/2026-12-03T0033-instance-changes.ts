import { type Kysely, SqliteAdapter, sql } from 'kysely'

/*
 * A change to the instance's settings (the `instances` row: session lifetimes, lockout, paths,
 * sign-up options, …) is announced on the change feed as `instance:<id>`, so every process
 * re-reads its settings at once instead of within its 5-second cache (issue #20: a setting the
 * dashboard changes through one process holds on all of them).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create trigger instances_update_changed after update on instances
      begin insert into latchkey_changes (key) values ('instance:' || old.id); end`.execute(db)
    return
  }
  await sql`create trigger instances_changed after update on instances
    for each row execute function latchkey_notify_change('instance')`.execute(db)
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter)
    await sql`drop trigger instances_update_changed`.execute(db)
  else await sql`drop trigger instances_changed on instances`.execute(db)
}
