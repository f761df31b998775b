import type { Logger } from 'pino'

/** How long a stopping loop waits for a drain in progress before it lets go. */
const STOP_GRACE_MS = 5_000

/**
 * The schedule of an outbox worker (mail, webhooks): it drains what is due now, then again
 * after `pollMs`, or at once when woken by {@link DrainLoop.kick} after a write that queued work
 * committed. At most one drain runs at a time; a kick during one runs another right after it,
 * so nothing queued meanwhile waits for the poll. What a drain does is the worker's own.
 */
export class DrainLoop {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopped = true
  readonly #drain: () => Promise<void>
  readonly #pollMs: number
  readonly #log: Logger
  readonly #name: string

  constructor(opts: { name: string; pollMs: number; log: Logger; drain: () => Promise<void> }) {
    this.#name = opts.name
    this.#pollMs = opts.pollMs
    this.#log = opts.log
    this.#drain = opts.drain
  }

  /** Whether the loop was stopped (a drain checks it between batches and ends early). */
  get stopped(): boolean {
    return this.#stopped
  }

  /** The drain in progress, if one is. */
  get running(): Promise<void> | undefined {
    return this.#running
  }

  /** Drains now (or right after the drain in progress). */
  kick(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#run(), 0)
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.kick()
  }

  /** Stops polling, waiting a little for a drain in progress. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    const running = this.#running
    if (!running) return
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_GRACE_MS)
    })
    await Promise.race([running, grace])
    clearTimeout(timer)
  }

  #run(): void {
    this.#timer = undefined
    this.#running = this.#drain()
      .catch((err: unknown) => this.#log.error({ err }, `${this.#name}: could not drain`))
      .finally(() => {
        this.#running = undefined
        if (this.#stopped) return
        const again = this.#again
        this.#again = false
        this.#timer = setTimeout(() => this.#run(), again ? 0 : this.#pollMs)
        this.#timer.unref()
      })
  }
}
