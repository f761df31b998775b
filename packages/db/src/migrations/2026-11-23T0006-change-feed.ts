import { type Kysely, SqliteAdapter, sql } from 'kysely'

/*
 * The change feed (changes.ts): every change to a client, a session or a user (a user's email
 * addresses count as the user) is announced, so a process may keep those rows in memory and
 * still never serve one that any process has since changed (issue #6). SQLite appends the key
 * to a table read by every process; PostgreSQL notifies listeners on commit.
 */

const WATCHED = [
  ['clients', 'client'],
  ['sessions', 'session'],
  ['users', 'user'],
] as const

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`create table latchkey_changes (id integer primary key autoincrement, key text not null)`.execute(
      db,
    )
    // Keep the last 10,000 changes; a process that falls further behind starts its caches anew.
    await sql`create trigger latchkey_changes_prune after insert on latchkey_changes
      when new.id % 1000 = 0
      begin delete from latchkey_changes where id <= new.id - 10000; end`.execute(db)
    for (const [table, kind] of WATCHED) {
      for (const op of ['update', 'delete']) {
        await sql
          .raw(
            `create trigger ${table}_${op}_changed after ${op} on ${table}
             begin insert into latchkey_changes (key) values ('${kind}:' || old.id); end`,
          )
          .execute(db)
      }
    }
    await sql`create trigger email_addresses_insert_changed after insert on email_addresses
      begin insert into latchkey_changes (key) values ('user:' || new.user_id); end`.execute(db)
    await sql`create trigger email_addresses_update_changed after update on email_addresses
      begin
        insert into latchkey_changes (key) values ('user:' || old.user_id);
        insert into latchkey_changes (key) values ('user:' || new.user_id);
      end`.execute(db)
    await sql`create trigger email_addresses_delete_changed after delete on email_addresses
      begin insert into latchkey_changes (key) values ('user:' || old.user_id); end`.execute(db)
    return
  }
  await sql`create function latchkey_notify_change() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'email_addresses' then
        if tg_op <> 'INSERT' then perform pg_notify('latchkey_changes', 'user:' || old.user_id); end if;
        if tg_op <> 'DELETE' then perform pg_notify('latchkey_changes', 'user:' || new.user_id); end if;
      else
        perform pg_notify('latchkey_changes', tg_argv[0] || ':' || old.id);
      end if;
      return null;
    end $$`.execute(db)
  for (const [table, kind] of WATCHED) {
    await sql
      .raw(
        `create trigger ${table}_changed after update or delete on ${table}
         for each row execute function latchkey_notify_change('${kind}')`,
      )
      .execute(db)
  }
  await sql`create trigger email_addresses_changed after insert or update or delete on email_addresses
    for each row execute function latchkey_notify_change()`.execute(db)
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const [table] of WATCHED) {
      for (const op of ['update', 'delete'])
        await sql.raw(`drop trigger ${table}_${op}_changed`).execute(db)
    }
    for (const op of ['insert', 'update', 'delete'])
      await sql.raw(`drop trigger email_addresses_${op}_changed`).execute(db)
    await sql`drop table latchkey_changes`.execute(db)
    return
  }
  for (const [table] of WATCHED)
    await sql.raw(`drop trigger ${table}_changed on ${table}`).execute(db)
  await sql`drop trigger email_addresses_changed on email_addresses`.execute(db)
  await sql`drop function latchkey_notify_change()`.execute(db)
}
