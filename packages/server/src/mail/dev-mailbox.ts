import nodemailer from 'nodemailer'
import type { Logger } from 'pino'
import { writePrivateFile } from '../lib/data-dir.js'
import type { OutgoingMail } from './mail-message.js'
import { type MailTransport, nodemailerMessage } from './mail-transport.js'

/** The dev mailbox's folder, under the data directory. */
export const MAILBOX_DIR = 'mail'

/** An .eml file's name: when the message was queued (so names sort in order), then its id. */
export function mailFileName(mail: Pick<OutgoingMail, 'id' | 'createdAt'>): string {
  const at = new Date(mail.createdAt).toISOString().replace(/[-:]/g, '').replace('.', '-')
  return `${at}-${mail.id}.eml`
}

/** The readable block the dev mailbox prints for a message. */
export function mailBlock(mail: OutgoingMail, file: string | undefined): string {
  const rule = '─'.repeat(72)
  return [
    '',
    `┌${rule}`,
    `│ Mail to:  ${mail.to}`,
    `│ Subject:  ${mail.subject}`,
    ...(file ? [`│ Saved as: ${file}  (npm run latchkey -- mail)`] : []),
    `├${rule}`,
    ...mail.text
      .trimEnd()
      .split('\n')
      .map((line) => `│ ${line}`),
    `└${rule}`,
    '',
  ].join('\n')
}

/**
 * Where mail goes without `LATCHKEY_SMTP_URL` (the default of `npm start`): each message is
 * printed as a readable block (to the given printer, else the log) and written as an .eml file
 * (mode 0600: it holds a live code) under `<data dir>/mail/`, which `latchkey mail` lists and any
 * mail client opens. With no `dataDir` (an in-memory database leaves nothing on disk) the block
 * is all there is. A retry of the same row rewrites the same file.
 */
export class DevMailbox implements MailTransport {
  readonly #composer = nodemailer.createTransport({ streamTransport: true, buffer: true })

  private readonly dataDir: string | undefined
  private readonly log: Logger
  private readonly print: ((block: string) => void) | undefined

  constructor(
    dataDir: string | undefined,
    log: Logger,
    print: ((block: string) => void) | undefined,
  ) {
    this.dataDir = dataDir
    this.log = log
    this.print = print
  }

  async send(mail: OutgoingMail): Promise<void> {
    let file: string | undefined
    if (this.dataDir !== undefined) {
      const info = await this.#composer.sendMail(nodemailerMessage(mail))
      const raw = Buffer.isBuffer(info.message) ? info.message.toString('utf8') : ''
      file = writePrivateFile(this.dataDir, `${MAILBOX_DIR}/${mailFileName(mail)}`, raw, {
        replace: true,
      })
    }
    const block = mailBlock(mail, file)
    const fields = { mail: { id: mail.id, to: mail.to, subject: mail.subject, file } }
    // Printed, the block need not be logged again (the log may be the same stdout).
    if (this.print) {
      this.print(block)
      this.log.info(fields, 'mail kept in the dev mailbox')
    } else this.log.info(fields, block)
  }

  close(): void {
    this.#composer.close()
  }
}
