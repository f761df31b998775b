import { randomBase62 } from '@latchkey/contracts'
import type { MailOutboxRow, Write } from '@latchkey/db'
import { DEFAULT_APPLICATION_NAME } from '../instance/instance.service.js'
import { DrainLoop } from '../lib/drain-loop.js'
import type { ServiceDeps } from '../service-deps.js'
import { DevMailbox } from './dev-mailbox.js'
import { emailJSON, type MailAbout } from './mail-event.js'
import type { MailMessage, OutgoingMail, RenderedMail } from './mail-message.js'
import * as repo from './mail-outbox.repository.js'
import { renderMail } from './mail-templates.js'
import { type MailTransport, PermanentSendError, SmtpTransport } from './mail-transport.js'

/** How long a claimed message is this process's: longer than a send can take (its timeouts). */
const LEASE_MS = 2 * 60_000
/** The worker looks for due messages this often, besides when kicked. */
const POLL_MS = 1_000
/** Messages claimed at once, and sent at once (one SMTP connection each). */
const BATCH = 8
/** The waits after the 1st, 2nd, … failed attempt; the last repeats. */
const BACKOFF_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000]
/** A message not sent within a day is given up (its code or link expired long before). */
const GIVE_UP_AFTER_MS = 24 * 3_600_000
/** Rows of messages sent or given up stay this long for the operator, then are pruned. */
const KEEP_MS = 7 * 24 * 3_600_000
const PRUNE_EVERY_MS = 3_600_000

export type MailWorkerOptions = {
  /** Where the dev mailbox prints its blocks (main.ts: stdout); the log otherwise. */
  print?: (block: string) => void
}

/**
 * Email delivery through a transactional outbox. `enqueue` returns a write for the caller's
 * `writeAtomically` group, so a message exists exactly when the change that needs it committed.
 * A worker in every process (`start`) claims due rows, sends them through the SMTP relay or the
 * dev mailbox, and retries with backoff while the relay is down. Delivery is at least once: a
 * process that dies between the relay's acceptance and recording it sends the row again after
 * its lease, as the same message (one Message-ID per row), which clients show once.
 */
export class MailService {
  #transport: MailTransport | undefined
  #prunedAt = 0
  readonly #loop: DrainLoop

  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#loop = new DrainLoop({
      name: 'mail worker',
      pollMs: POLL_MS,
      log: deps.log,
      drain: () => this.#drain(),
    })
  }

  /**
   * The write that queues a message to `to`. Rendered now, naming the application as this process
   * last read its settings (every flow that sends reads them first; at most seconds old): the
   * stored message is then exactly what is sent, on every retry.
   */
  enqueue(to: string, message: MailMessage, about: MailAbout = {}): Write[] {
    if (/[\r\n]/.test(to) || !to.includes('@')) throw new Error('invalid mail recipient')
    const settings = this.d.services.instance.lastSettings
    const rendered = renderMail(message, settings?.application_name || DEFAULT_APPLICATION_NAME)
    const id = `mail_${randomBase62(27)}`
    const now = this.d.clock.now()
    // `webhook_only` (an instance setting): the operator's own provider sends it, from the
    // `email.created` event; Latchkey queues nothing for SMTP.
    const byLatchkey = settings?.email_delivery !== 'webhook_only'
    const event = this.d.services.webhookEvents.event(
      'email.created',
      emailJSON(id, to, message, rendered, about, this.d.config.emailFrom, byLatchkey),
    )
    if (!byLatchkey) return [event]
    return [this.#insert(id, to, message, rendered, now), event]
  }

  #insert(
    id: string,
    to: string,
    message: MailMessage,
    rendered: RenderedMail,
    now: number,
  ): Write {
    return repo.insertMail({
      id,
      to_address: to,
      kind: message.kind,
      subject: rendered.subject,
      text_sealed: this.d.box.seal(rendered.text, `mail_outbox:${id}:text`),
      html_sealed: this.d.box.seal(rendered.html, `mail_outbox:${id}:html`),
      message_id: `<${id}@${new URL(this.d.config.url).hostname}>`,
      status: 'queued',
      attempts: 0,
      next_attempt_at: now,
      locked_until: null,
      sent_at: null,
      last_error: null,
      created_at: now,
    })
  }

  /** Wakes this process's worker now: call after the write that queued a message committed. */
  kick(): void {
    this.#loop.kick()
  }

  /** Starts the worker (createApp): it drains what is due now, then polls. */
  start(opts: MailWorkerOptions = {}): void {
    if (!this.#loop.stopped) return
    this.#transport = this.#createTransport(opts)
    // Read the settings once, so a message queued before any request read them names the
    // application too (enqueue renders with the last settings read).
    this.d.services.instance.settings().catch((err: unknown) => {
      this.d.log.warn({ err }, 'mail worker: could not read the instance settings')
    })
    this.#loop.start()
  }

  /**
   * Stops the worker, waiting a little for a send in progress (an unfinished one is retried
   * after its lease).
   */
  async stop(): Promise<void> {
    await this.#loop.stop()
    this.#transport?.close()
    this.#transport = undefined
  }

  #createTransport(opts: MailWorkerOptions): MailTransport {
    const { config, log } = this.d
    if (config.smtpUrl) return new SmtpTransport(config.smtpUrl)
    const onDisk = config.databaseUrl !== 'sqlite::memory:'
    return new DevMailbox(onDisk ? config.dataDir : undefined, log, opts.print)
  }

  /** Sends every due message, a batch at a time. */
  async #drain(): Promise<void> {
    const { db, dialect, clock } = this.d
    for (;;) {
      if (this.#loop.stopped) return
      const now = clock.now()
      if (!(await repo.anyDue(db, now))) break
      const rows = await repo.claimDue(db, dialect, now, now + LEASE_MS, BATCH)
      // At once: a relay's round trips, not this process, bound the rate.
      await Promise.all(rows.map((row) => this.#deliver(row)))
      if (rows.length < BATCH) break
    }
    await this.#pruneNowAndThen()
  }

  async #deliver(row: MailOutboxRow): Promise<void> {
    const { db, clock, log } = this.d
    const transport = this.#transport
    if (!transport) return
    try {
      await transport.send(this.#outgoing(row))
      await repo.markSent(db, row.id, clock.now())
      log.info({ mail: row.id, kind: row.kind, attempts: row.attempts }, 'mail sent')
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const next = this.#nextAttemptAt(row, error)
      await repo.markFailed(db, row.id, message, next)
      log.warn(
        { mail: row.id, attempts: row.attempts, err: message, next_attempt_at: next },
        next === undefined ? 'mail given up' : 'mail not sent: will retry',
      )
    }
  }

  #nextAttemptAt(row: MailOutboxRow, error: unknown): number | undefined {
    if (error instanceof PermanentSendError) return undefined
    const wait = BACKOFF_MS[Math.min(row.attempts, BACKOFF_MS.length) - 1] ?? POLL_MS
    const at = this.d.clock.now() + wait
    return at > row.created_at + GIVE_UP_AFTER_MS ? undefined : at
  }

  #outgoing(row: MailOutboxRow): OutgoingMail {
    const { box, config } = this.d
    if (row.text_sealed === null || row.html_sealed === null)
      throw new Error('a queued message without its bodies')
    return {
      id: row.id,
      to: row.to_address,
      from: config.emailFrom,
      subject: row.subject,
      text: box.open(row.text_sealed, `mail_outbox:${row.id}:text`),
      html: box.open(row.html_sealed, `mail_outbox:${row.id}:html`),
      messageId: row.message_id,
      createdAt: row.created_at,
    }
  }

  async #pruneNowAndThen(): Promise<void> {
    const now = this.d.clock.now()
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return
    this.#prunedAt = now
    await repo.prune(this.d.db, now - KEEP_MS)
  }
}
