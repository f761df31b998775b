import type { Clock } from '../lib/clock.js'
import type { RateLimitsService } from './rate-limits.service.js'

/** How many failures a key may make in a window before it is refused until the window ends. */
export type FailureLimit = { name: string; max: number; windowMs: number }

/** Wrong Backend API secret keys per client IP. */
export const SECRET_KEY_FAILURES: FailureLimit = {
  name: 'secret-key-failures',
  max: 10,
  windowMs: 60_000,
}

/** Failed OAuth client authentications (token, introspection, revocation) per client IP. */
export const OAUTH_CLIENT_FAILURES: FailureLimit = {
  name: 'oauth-client-failures',
  max: 10,
  windowMs: 60_000,
}

/** Blocked keys a process remembers at most; past that, ended blocks are swept first. */
const MAX_BLOCKED = 10_000

/**
 * Limits failures, not requests: a client IP that fails `max` credential checks in a window is
 * refused, without its credential being checked, until the window ends. Legitimate traffic pays
 * one in-memory lookup ({@link retryAfter}); only a failure touches the database, where the
 * count is shared by every process ({@link recordFailure}). A process learns of a block from its
 * own failures: each other process checks at most one more credential before it blocks too.
 */
export class FailureLimiter {
  readonly #limit: FailureLimit
  readonly #counts: RateLimitsService
  readonly #clock: Clock
  /** Blocked key → when its block ends (ms). */
  readonly #blocked = new Map<string, number>()

  constructor(limit: FailureLimit, counts: RateLimitsService, clock: Clock) {
    this.#limit = limit
    this.#counts = counts
    this.#clock = clock
  }

  /** Seconds `key` must still wait, or 0 when it may try. No I/O. */
  retryAfter(key: string): number {
    const until = this.#blocked.get(key)
    if (until === undefined) return 0
    const left = until - this.#clock.now()
    if (left > 0) return Math.ceil(left / 1000)
    this.#blocked.delete(key)
    return 0
  }

  /**
   * Counts a failure of `key` (the caller answers it as the failure it is); from the `max`-th in
   * the window on, this process refuses `key` until the window ends.
   */
  async recordFailure(key: string): Promise<void> {
    const { name, max, windowMs } = this.#limit
    const { count, endsAt } = await this.#counts.hit(`${name}|${key}`, windowMs)
    if (count < max) return
    if (this.#blocked.size >= MAX_BLOCKED) this.#sweep()
    this.#blocked.set(key, endsAt)
  }

  #sweep(): void {
    const now = this.#clock.now()
    for (const [key, until] of this.#blocked) if (until <= now) this.#blocked.delete(key)
  }
}
