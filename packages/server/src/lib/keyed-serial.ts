/**
 * Runs tasks one at a time per key, in this process: each task of a key starts when the one
 * before it settles, and learns whether it had to wait (so it can re-read what the other
 * changed). Keys with nothing running take no memory.
 *
 * @example
 * ```ts
 * const serial = new KeyedSerial()
 * await serial.run(userId, async (waited) => check(waited ? await reload() : user))
 * ```
 */
export class KeyedSerial {
  /** Per key, a promise that settles when its last task has. */
  readonly #tails = new Map<string, Promise<void>>()

  run<T>(key: string, task: (waited: boolean) => Promise<T>): Promise<T> {
    const before = this.#tails.get(key)
    const result = before ? before.then(() => task(true)) : task(false)
    const tail = result.then(
      () => {},
      () => {},
    )
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }
}
