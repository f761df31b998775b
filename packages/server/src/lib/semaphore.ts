/**
 * Limits how many async jobs run at once; the rest wait in FIFO order.
 *
 * @example
 * ```ts
 * const s = new Semaphore(2); await s.run(() => hashPassword(p))
 * ```
 */
export class Semaphore {
  #limit: number
  #active = 0
  readonly #queue: Array<() => void> = []

  constructor(limit: number) {
    this.#limit = Math.max(1, limit)
  }

  setLimit(limit: number): void {
    this.#limit = Math.max(1, limit)
    this.#drain()
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve))
    else this.#active++
    try {
      return await job()
    } finally {
      const next = this.#queue.shift()
      if (next) next()
      else this.#active--
    }
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#queue.length > 0) {
      this.#active++
      this.#queue.shift()?.()
    }
  }
}
