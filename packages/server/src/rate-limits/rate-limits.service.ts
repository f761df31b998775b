import type { ServiceDeps } from '../service-deps.js'
import * as repo from './rate-limits.repository.js'

/** A fixed window's count after a hit, when the window ends (ms) and the seconds until then. */
export type WindowCount = { count: number; endsAt: number; retryAfterSeconds: number }

/**
 * Fixed-window counters kept in the database (`rate_limits`), so every process of a deployment
 * counts the same window: the per-IP password limit, failure limits and the failures a device
 * made on an account. Keys name their purpose first (`password|…`), apart from the route
 * limits' store (`POST /v1/… |…`).
 */
export class RateLimitsService {
  private readonly d: ServiceDeps
  #hits = 0

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** Counts one event of `key` in its window of `windowMs`; a window that ended restarts. */
  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = this.d.clock.now()
    const { count, windowStart } = await repo.hit(this.d.db, key, now, windowMs)
    // Now and then, forget windows long over (the longest window is an hour).
    if (++this.#hits % 500 === 0) repo.purge(this.d.db, now - 3_600_000).catch(() => {})
    const endsAt = windowStart + windowMs
    return { count, endsAt, retryAfterSeconds: Math.max(1, Math.ceil((endsAt - now) / 1000)) }
  }

  /** The count of `key`'s running window (0 when none), without counting. */
  count(key: string, windowMs: number): Promise<number> {
    return repo.count(this.d.db, key, this.d.clock.now(), windowMs)
  }
}
