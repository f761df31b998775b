import type { Database } from '@latchkey/db'
import { type Kysely, sql } from 'kysely'

/**
 * Counts one hit in a fixed window, atomically on both dialects (INSERT … ON CONFLICT … DO
 * UPDATE … RETURNING): a window that has ended restarts at 1.
 */
export async function hit(
  db: Kysely<Database>,
  key: string,
  now: number,
  windowMs: number,
): Promise<{ count: number; windowStart: number }> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: now, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when rate_limits.window_start + ${windowMs} <= ${now} then 1 else rate_limits.count + 1 end`,
        window_start: sql<number>`case when rate_limits.window_start + ${windowMs} <= ${now} then ${now} else rate_limits.window_start end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow()
  return { count: Number(row.count), windowStart: Number(row.window_start) }
}

/** Forgets windows that ended before `before`. */
export async function purge(db: Kysely<Database>, before: number): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', before).execute()
}

/** The count of `key`'s window if it is still running at `now`, else 0. Counts nothing. */
export async function count(
  db: Kysely<Database>,
  key: string,
  now: number,
  windowMs: number,
): Promise<number> {
  const row = await db
    .selectFrom('rate_limits')
    .select(['count', 'window_start'])
    .where('key', '=', key)
    .executeTakeFirst()
  return row && Number(row.window_start) + windowMs > now ? Number(row.count) : 0
}
