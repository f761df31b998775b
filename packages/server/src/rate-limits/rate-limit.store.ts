import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import * as repo from './rate-limits.repository.js'

type Result = { current: number; ttl: number }
/** What the plugin passes to `child`: its merged route parameters, with the route as `routeInfo`. */
type RouteParams = { routeInfo?: { method?: string | string[]; url?: string } }

/**
 * A `@fastify/rate-limit` store kept in the database, so every process of a deployment (cluster
 * workers, several hosts on one PostgreSQL) counts the same window — the plugin's own store is
 * per process, which would multiply Clerk's 5-per-10-seconds by the number of processes.
 * Only the limited routes (sign-in, sign-up, factor attempts) touch it.
 */
export function databaseRateLimitStore(db: Kysely<Database>, clock: Clock) {
  let hits = 0
  return class DatabaseRateLimitStore {
    readonly prefix: string

    constructor(params: object = {}) {
      const info = (params as RouteParams).routeInfo
      this.prefix = info?.url ? `${[info.method].flat().join(',')} ${info.url}` : 'global'
    }

    incr(key: string, cb: (err: Error | null, res?: Result) => void, timeWindow: number): void {
      const now = clock.now()
      repo.hit(db, `${this.prefix}|${key}`, now, timeWindow).then(
        ({ count, windowStart }) => {
          cb(null, { current: count, ttl: Math.max(0, windowStart + timeWindow - now) })
          // Now and then, forget windows long over.
          if (++hits % 500 === 0) repo.purge(db, now - 3_600_000).catch(() => {})
        },
        (err: Error) => cb(err),
      )
    }

    child(params: object): DatabaseRateLimitStore {
      return new DatabaseRateLimitStore(params)
    }
  }
}
