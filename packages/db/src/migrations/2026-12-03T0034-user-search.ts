import { type Kysely, SqliteAdapter, sql } from 'kysely'

/*
 * The Backend API's user search (`GET /v1/users?query=`, the dashboard's Users page; issue #20)
 * matches a substring of a first or last name, a username or an email address, ignoring case.
 * Without an index that is a scan of every user and every address: 1.3 s at a million users on
 * SQLite, past any timeout on PostgreSQL. Both dialects get a trigram index, so a search of three
 * characters or more reads only the rows that hold its trigrams:
 *
 * - PostgreSQL: pg_trgm's GIN indexes on `lower(column)`, which `lower(column) LIKE '%…%'` uses
 *   as it is. pg_trgm ships with PostgreSQL and is a trusted extension (any role that may create
 *   in the database may add it); it goes in `public` when that schema exists, so that dropping
 *   Latchkey's own schema never drops an extension other schemas' indexes stand on. Where it
 *   cannot be created (a managed database that withholds it) the migration goes on without the
 *   indexes: every search still answers the same, by a scan (docs/API.md says so).
 * - SQLite: an FTS5 table with the trigram tokenizer (case-folding) over `user_search_values`,
 *   one row per searchable value, kept by triggers on `users` and `email_addresses` whatever
 *   writes them. The FTS5 table is external-content keyed by that table's INTEGER PRIMARY KEY,
 *   which VACUUM never renumbers (a users rowid it may).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return upSqlite(db)
  await sql`savepoint latchkey_trgm`.execute(db)
  try {
    // Two schemas migrating at once must not both create it (the second would fail).
    await sql`select pg_advisory_xact_lock(hashtext('latchkey:pg_trgm'))`.execute(db)
    let schema = await trgmSchema(db)
    if (!schema) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_namespace where nspname = 'public'`.execute(db)
      if (rows[0]?.n) await sql`create extension if not exists pg_trgm schema public`.execute(db)
      else await sql`create extension if not exists pg_trgm`.execute(db)
      schema = await trgmSchema(db)
    }
    const ops = sql.raw(`"${schema}".gin_trgm_ops`)
    for (const [table, column] of SEARCHED) {
      await sql`create index ${sql.raw(`${table}_${column}_trgm_idx`)} on ${sql.table(table)}
        using gin (lower(${sql.ref(column)}) ${ops})`.execute(db)
    }
    await sql`release savepoint latchkey_trgm`.execute(db)
  } catch {
    await sql`rollback to savepoint latchkey_trgm`.execute(db)
  }
}

const SEARCHED = [
  ['users', 'first_name'],
  ['users', 'last_name'],
  ['users', 'username'],
  ['email_addresses', 'email_address'],
] as const

// biome-ignore lint/suspicious/noExplicitAny: see up()
async function trgmSchema(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pg_trgm'`.execute(db)
  return rows[0]?.schema
}

const NAME_COLUMNS = ['first_name', 'last_name', 'username'] as const

/** The rows of one user's names (`n` is `new` or `old`). */
const nameRows = (n: string) =>
  NAME_COLUMNS.map(
    (c) => `select ${n}.id, '${c}', ${n}.${c} where ${n}.${c} is not null and ${n}.${c} <> ''`,
  ).join(' union all ')

// biome-ignore lint/suspicious/noExplicitAny: see up()
async function upSqlite(db: Kysely<any>): Promise<void> {
  const run = (text: string) => sql.raw(text).execute(db)
  // `source` is the users column a name came from, or the email address's id.
  await run(`create table user_search_values (
    id integer primary key,
    user_id text not null,
    source text not null,
    value text not null)`)
  await run('create index user_search_values_user_idx on user_search_values (user_id, source)')
  await run(`create virtual table user_search using fts5(value,
    content = 'user_search_values', content_rowid = 'id', tokenize = 'trigram')`)
  await run(`create trigger user_search_values_insert after insert on user_search_values
    begin insert into user_search (rowid, value) values (new.id, new.value); end`)
  await run(`create trigger user_search_values_delete after delete on user_search_values
    begin insert into user_search (user_search, rowid, value) values ('delete', old.id, old.value); end`)

  const names = `'${NAME_COLUMNS.join("', '")}'`
  await run(`create trigger users_search_insert after insert on users
    begin insert into user_search_values (user_id, source, value) ${nameRows('new')}; end`)
  await run(`create trigger users_search_update after update of ${NAME_COLUMNS.join(', ')} on users
    begin
      delete from user_search_values where user_id = old.id and source in (${names});
      insert into user_search_values (user_id, source, value) ${nameRows('new')};
    end`)
  await run(`create trigger users_search_delete after delete on users
    begin delete from user_search_values where user_id = old.id; end`)
  await run(`create trigger email_addresses_search_insert after insert on email_addresses
    begin
      insert into user_search_values (user_id, source, value)
      values (new.user_id, new.id, new.email_address);
    end`)
  await run(`create trigger email_addresses_search_update
    after update of email_address, user_id on email_addresses
    begin
      delete from user_search_values where user_id = old.user_id and source = old.id;
      insert into user_search_values (user_id, source, value)
      values (new.user_id, new.id, new.email_address);
    end`)
  await run(`create trigger email_addresses_search_delete after delete on email_addresses
    begin delete from user_search_values where user_id = old.user_id and source = old.id; end`)

  // The users and addresses there already.
  for (const c of NAME_COLUMNS) {
    await run(`insert into user_search_values (user_id, source, value)
      select id, '${c}', ${c} from users where ${c} is not null and ${c} <> ''`)
  }
  await run(`insert into user_search_values (user_id, source, value)
    select user_id, id, email_address from email_addresses`)
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const t of [
      'users_search_insert',
      'users_search_update',
      'users_search_delete',
      'email_addresses_search_insert',
      'email_addresses_search_update',
      'email_addresses_search_delete',
    ]) {
      await sql.raw(`drop trigger if exists ${t}`).execute(db)
    }
    await sql`drop table if exists user_search`.execute(db)
    await sql`drop table if exists user_search_values`.execute(db)
    return
  }
  for (const [table, column] of SEARCHED) {
    await sql.raw(`drop index if exists ${table}_${column}_trgm_idx`).execute(db)
  }
}
