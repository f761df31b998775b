import type { Server } from 'node:net'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** One message the test SMTP server accepted, parsed. */
export type ReceivedMail = {
  /** The envelope's recipients (RCPT TO), lower-cased. */
  readonly to: readonly string[]
  /** The envelope's sender (MAIL FROM). */
  readonly from: string
  readonly subject: string
  readonly text: string
  /** The HTML part, or '' when the message has none. */
  readonly html: string
  readonly messageId: string | undefined
  /** The whole message as received. */
  readonly raw: string
  readonly parsed: ParsedMail
  readonly receivedAt: Date
}

export type WaitOptions = {
  /** Only messages received from this index of `messages` on (its length before the action), or at/after this time. */
  after?: number | Date
  /** Default 10 s. */
  timeoutMs?: number
}

export type TestSmtpServer = {
  /** `smtp://[user:pass@]127.0.0.1:<port>`: what LATCHKEY_SMTP_URL is set to. */
  readonly url: string
  readonly port: number
  /** Every message accepted so far, in order (kept across stop/start). */
  readonly messages: ReceivedMail[]
  /** The first message to this address (matching `after`), waiting for it if need be. */
  waitForMail(to: string, opts?: WaitOptions): Promise<ReceivedMail>
  /** Stops listening (connections are refused, as with a mail server that is down). */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * A real SMTP server on 127.0.0.1 and a random port, for tests: it accepts every message
 * (authentication optional, or required with `auth`) and parses it with mailparser. STARTTLS is
 * off: the server's built-in certificate is self-signed and the mail client would refuse it;
 * `tls` serves smtps:// with a certificate the test makes its client trust.
 *
 * @example
 * ```ts
 * const smtp = await startSmtpServer()
 * const server = await createTestServer(dialect, { smtpUrl: smtp.url })
 * const mail = await smtp.waitForMail('ada@example.com')
 * expect(codeFrom(mail)).toMatch(/^\d{6}$/)
 * ```
 */
export async function startSmtpServer(
  opts: {
    auth?: { user: string; pass: string }
    /** Recipients refused for good (550 to RCPT TO), as a relay refuses an unknown mailbox. */
    rejectRecipients?: string[]
    /** TLS from the first byte (an `smtps://` URL) with this certificate. */
    tls?: { key: string; cert: string }
  } = {},
): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  const { auth } = opts
  const smtp = new SMTPServer({
    ...(opts.tls ? { secure: true, key: opts.tls.key, cert: opts.tls.cert } : {}),
    authOptional: !auth,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onAuth(a, _session, callback) {
      if (!auth || (a.username === auth.user && a.password === auth.pass))
        return callback(null, { user: a.username })
      callback(new Error('invalid credentials'))
    },
    onRcptTo(address, _session, callback) {
      if (!opts.rejectRecipients?.includes(address.address.toLowerCase())) return callback()
      callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then(
          (parsed) => {
            messages.push(toReceived(raw, parsed, session))
            for (const wake of waiters) wake()
            callback()
          },
          (err: Error) => callback(err),
        )
      })
    },
  })
  // A client that gives up mid-connection (a refused certificate, a killed server) is the
  // server's 'error' event; tests see what the client saw instead.
  smtp.on('error', () => {})
  let net: Server | undefined
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = smtp.listen(port, '127.0.0.1', () => {
        const addr = s.address()
        net = s
        if (addr && typeof addr === 'object') resolve(addr.port)
        else reject(new Error('no port'))
      })
      s.once('error', reject)
    })
  const port = await listen(0)
  const userinfo = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : ''
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!net?.listening) return resolve()
      // smtp-server's close ends its open connections after closeTimeout.
      net.close(() => resolve())
    })
  return {
    url: `${opts.tls ? 'smtps' : 'smtp'}://${userinfo}127.0.0.1:${port}`,
    port,
    messages,
    waitForMail: (to, wait) => waitFor(messages, waiters, to, wait),
    stop,
    start: async () => {
      if (!net?.listening) await listen(port)
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  }
}

function toReceived(
  raw: string,
  parsed: ParsedMail,
  session: { envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] } },
): ReceivedMail {
  const from = session.envelope.mailFrom
  return {
    to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
    from: from ? from.address : '',
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    messageId: parsed.messageId,
    raw,
    parsed,
    receivedAt: new Date(),
  }
}

function matches(mail: ReceivedMail, index: number, to: string, after: number | Date | undefined) {
  if (!mail.to.includes(to.toLowerCase())) return false
  if (after === undefined) return true
  return typeof after === 'number' ? index >= after : mail.receivedAt >= after
}

function waitFor(
  messages: ReceivedMail[],
  waiters: Set<() => void>,
  to: string,
  opts: WaitOptions = {},
): Promise<ReceivedMail> {
  const find = () => messages.find((m, i) => matches(m, i, to, opts.after))
  const found = find()
  if (found) return Promise.resolve(found)
  const timeoutMs = opts.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const wake = () => {
      const mail = find()
      if (!mail) return
      cleanup()
      resolve(mail)
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no mail to ${to} within ${timeoutMs} ms (${messages.length} received)`))
    }, timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      waiters.delete(wake)
    }
    waiters.add(wake)
  })
}

/** The 6-digit verification code of a message (from its plain-text body). */
export function codeFrom(mail: ReceivedMail): string {
  const code = /\b(\d{6})\b/.exec(mail.text)?.[1]
  if (!code) throw new Error(`no 6-digit code in the mail "${mail.subject}"`)
  return code
}

/** The verification link of a message: its first URL carrying a `token` (else its first URL). */
export function linkFrom(mail: ReceivedMail): string {
  const urls = mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? []
  const link = urls.find((u) => /[?&]token=/.test(u)) ?? urls[0]
  if (!link) throw new Error(`no link in the mail "${mail.subject}"`)
  return link
}
