import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/*
 * The worker: argon2 on its own thread at the lowest CPU priority. On Linux `setpriority(0)`
 * applies to the calling thread, so only hashing is deprioritised: when a sign-in storm and token
 * mints compete for the cores, the scheduler gives the event loops the CPU first and hashing the
 * rest, instead of sharing it equally.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
try { require('node:os').setPriority(19) } catch {}
const argon2 = require(workerData.argon2)
parentPort.on('message', ({ id, op, password, digest, options }) => {
  try {
    const result = op === 'hash' ? argon2.hashSync(password, options) : argon2.verifySync(digest, password)
    parentPort.postMessage({ id, result })
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) })
  }
})
`

type Job = {
  id: number
  op: 'hash' | 'verify'
  password: string
  digest?: string
  options?: object
  resolve(value: string | boolean): void
  reject(error: Error): void
}
type Slot = { worker: Worker; job: Job | undefined }

/**
 * A fixed number of low-priority threads hashing and verifying argon2 passwords. At most `size`
 * hashes run at once; the rest wait in FIFO order. Threads are `unref`'d, so an idle pool never
 * keeps the process alive.
 *
 * @example
 * ```ts
 * const pool = new HashPool(2)
 * const digest = await pool.hash('correct horse', ARGON2_OPTIONS)
 * await pool.verify(digest, 'correct horse') // true
 * ```
 */
export class HashPool {
  #size: number
  readonly #slots: Slot[] = []
  readonly #queue: Job[] = []
  #nextId = 0

  constructor(size: number) {
    this.#size = Math.max(1, size)
  }

  get size(): number {
    return this.#size
  }

  /** Jobs queued or running: password work waiting on the cores. */
  get inFlight(): number {
    return this.#queue.length + this.#slots.filter((s) => s.job).length
  }

  /** Changes how many threads may run; jobs under way finish, extra threads then stop. */
  resize(size: number): void {
    this.#size = Math.max(1, size)
    this.#trim()
    this.#drain()
  }

  hash(password: string, options: object): Promise<string> {
    return this.#submit({ op: 'hash', password, options }) as Promise<string>
  }

  verify(digest: string, password: string): Promise<boolean> {
    return this.#submit({ op: 'verify', password, digest }) as Promise<boolean>
  }

  /** Stops the threads; jobs still queued or running are rejected. */
  async close(): Promise<void> {
    const error = new Error('hash pool closed')
    for (const job of this.#queue.splice(0)) job.reject(error)
    await Promise.all(
      this.#slots.splice(0).map((s) => {
        s.job?.reject(error)
        return s.worker.terminate()
      }),
    )
  }

  #submit(job: Omit<Job, 'id' | 'resolve' | 'reject'>): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...job, id: this.#nextId++, resolve, reject })
      this.#drain()
    })
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => !s.job) ?? this.#spawn()
      if (!slot) return
      const job = this.#queue.shift() as Job
      slot.job = job
      slot.worker.ref()
      const { resolve: _r, reject: _j, ...message } = job
      slot.worker.postMessage(message)
    }
  }

  /** Stops idle threads beyond `size`. */
  #trim(): void {
    while (this.#slots.length > this.#size) {
      const idle = this.#slots.findIndex((s) => !s.job)
      if (idle < 0) return
      const [slot] = this.#slots.splice(idle, 1)
      void slot?.worker.terminate()
    }
  }

  /** A new thread while below `size`, else `undefined` (every thread is busy). */
  #spawn(): Slot | undefined {
    if (this.#slots.length >= this.#size) return undefined
    const argon2 = createRequire(import.meta.url).resolve('@node-rs/argon2')
    const worker = new Worker(WORKER, { eval: true, workerData: { argon2 } })
    const slot: Slot = { worker, job: undefined }
    worker.unref()
    worker.on('message', (m: { id: number; result?: string | boolean; error?: string }) => {
      const job = slot.job
      if (!job || job.id !== m.id) return
      slot.job = undefined
      worker.unref()
      if (m.error !== undefined) job.reject(new Error(m.error))
      else job.resolve(m.result as string | boolean)
      this.#trim()
      this.#drain()
    })
    // A thread that dies takes its job with it; the next job gets a fresh thread.
    worker.on('error', (error) => {
      slot.job?.reject(error)
      slot.job = undefined
      const i = this.#slots.indexOf(slot)
      if (i >= 0) this.#slots.splice(i, 1)
      this.#drain()
    })
    this.#slots.push(slot)
    return slot
  }
}
