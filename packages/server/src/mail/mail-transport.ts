import nodemailer from 'nodemailer'
import type { OutgoingMail } from './mail-message.js'

/** Where the outbox's worker hands a message: an SMTP relay, or the dev mailbox. */
export interface MailTransport {
  /** Resolves once the message is accepted; rejects with a {@link PermanentSendError} (given up) or any other error (retried). */
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

/** A refusal that retrying cannot change (the relay rejected the recipient for good). */
export class PermanentSendError extends Error {}

/** The message as nodemailer builds it: the same bytes an SMTP relay or an .eml file gets. */
export function nodemailerMessage(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    date: new Date(mail.createdAt),
    // No tracking, no list headers: a transactional message the recipient asked for.
    headers: { 'Auto-Submitted': 'auto-generated' },
  }
}

/**
 * Sends through an SMTP relay (`LATCHKEY_SMTP_URL`, smtp:// with STARTTLS when offered, smtps://
 * TLS from the first byte, credentials in the URL). One connection per message: the outbox
 * sends few, and a pool would hold connections to a relay that is down. Timeouts are short so a
 * dead relay fails an attempt in seconds (it is retried) rather than holding the worker.
 */
export class SmtpTransport implements MailTransport {
  readonly #mailer: ReturnType<typeof nodemailer.createTransport>

  constructor(url: string) {
    this.#mailer = nodemailer.createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    })
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.#mailer.sendMail(nodemailerMessage(mail))
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; message?: string }
      // 5xx on RCPT TO: the relay will never take this recipient.
      if (e.code === 'EENVELOPE' && (e.responseCode ?? 0) >= 500)
        throw new PermanentSendError(e.message ?? 'recipient refused', { cause: error })
      throw error
    }
  }

  close(): void {
    this.#mailer.close()
  }
}
