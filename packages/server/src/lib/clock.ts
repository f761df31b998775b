/** The source of time. Injected everywhere so tests can freeze or advance it. */
export type Clock = { now(): number }

/** Wall-clock time in Unix milliseconds. */
export const systemClock: Clock = { now: () => Date.now() }

/**
 * A clock tests move by hand.
 *
 * @example
 * ```ts
 * const clock = fakeClock(Date.UTC(2026, 0, 1)); clock.advance(61_000)
 * ```
 */
export function fakeClock(
  start: number,
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
    set: (ms) => {
      t = ms
    },
  }
}
