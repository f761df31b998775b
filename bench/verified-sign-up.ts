import type { Server } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/*
 * Item 8's load: whole verified sign-ups, each a browser of its own — create (the password
 * hashed once), prepare an email code, the message queued in the outbox and sent by the
 * server's mail worker to the SMTP server below (in this process), the code read from the
 * parsed message, attempt, complete. autocannon cannot wait for a mail between two requests,
 * so this is a closed loop of its own: `concurrency` sign-ups in flight at every moment.
 */

const PASSWORD = 'benchmark passphrase 1'

/**
 * A real SMTP server (smtp-server, each message parsed with mailparser, as the tests'
 * helper does) that hands each message's text to whoever waits for its recipient. A map of
 * waiters, not the tests' list scanned on every message: the load generator shares the cores.
 */
export async function startSmtpSink() {
  const waiting = new Map<string, (text: string) => void>()
  let received = 0
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received++
          for (const rcpt of session.envelope.rcptTo) {
            const to = rcpt.address.toLowerCase()
            waiting.get(to)?.(mail.text ?? '')
            waiting.delete(to)
          }
          callback()
        },
        (err: Error) => callback(err),
      )
    },
  })
  const net = await new Promise<Server>((resolve, reject) => {
    const s = smtp.listen(0, '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
  const addr = net.address()
  const port = addr && typeof addr === 'object' ? addr.port : 0
  return {
    url: `smtp://127.0.0.1:${port}`,
    /** Messages accepted so far. */
    received: () => received,
    /** The text of the next message to `to` (register before the request that sends it). */
    next(address: string, timeoutMs = 30_000): Promise<string> {
      const to = address.toLowerCase()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(to)
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(to, (text) => {
          clearTimeout(timer)
          resolve(text)
        })
      })
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  }
}
export type SmtpSink = Awaited<ReturnType<typeof startSmtpSink>>

type SignUpJson = {
  response?: { id?: string; status?: string; created_user_id?: string | null }
  errors?: { code?: string }[]
}

/** One browser: form posts with an Origin and its `__client` cookie, as clerk-js sends them. */
async function post(url: string, path: string, jar: Map<string, string>, form: object) {
  const headers: Record<string, string> = {
    origin: url,
    'content-type': 'application/x-www-form-urlencoded',
  }
  if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form as Record<string, string>).toString(),
  })
  for (const c of res.headers.getSetCookie()) {
    const [k, ...v] = (c.split(';')[0] ?? '').split('=')
    if (k) jar.set(k, v.join('='))
  }
  const json = (await res.json()) as SignUpJson
  if (!res.ok) throw new Error(`${path}: ${res.status} ${json.errors?.[0]?.code ?? ''}`)
  return json.response ?? {}
}

let serial = 0

/** One verified sign-up; resolves with its total and its mail's delay (prepare → received), ms. */
async function signUp(url: string, smtp: SmtpSink, tag: string) {
  const t0 = performance.now()
  const jar = new Map<string, string>()
  const email = `signup-${tag}-${++serial}@example.com`
  const created = await post(url, '/v1/client/sign_ups', jar, {
    email_address: email,
    password: PASSWORD,
  })
  if (created.status !== 'missing_requirements') throw new Error(`sign-up is ${created.status}`)
  const path = `/v1/client/sign_ups/${created.id}`
  const mail = smtp.next(email)
  const t1 = performance.now()
  await post(url, `${path}/prepare_verification`, jar, { strategy: 'email_code' })
  const code = /\b(\d{6})\b/.exec(await mail)?.[1]
  const t2 = performance.now()
  if (!code) throw new Error(`no code in the mail to ${email}`)
  const done = await post(url, `${path}/attempt_verification`, jar, {
    strategy: 'email_code',
    code,
  })
  if (done.status !== 'complete' || !done.created_user_id)
    throw new Error(`sign-up ended ${done.status}`)
  return { total: performance.now() - t0, mail: t2 - t1 }
}

export type SignUpLoad = {
  rate: number
  sendsPerSecond: number
  p50: number
  p99: number
  mailP50: number
  mailP99: number
  completed: number
  /** Messages the SMTP server accepted meanwhile: one per completed sign-up when all is well. */
  sends: number
  errors: number
  firstError: string | undefined
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0

/**
 * `concurrency` browsers signing up one after another for `seconds`. A sign-up started in the
 * window is waited for and counted, so the rates are over the time this took, and sends/s
 * counts exactly the messages of the sign-ups counted (no other sign-up is in flight).
 */
export async function signUpLoad(
  url: string,
  smtp: SmtpSink,
  opts: { seconds: number; concurrency: number; tag: string },
): Promise<SignUpLoad> {
  const totals: number[] = []
  const mails: number[] = []
  let errors = 0
  let firstError: string | undefined
  const sent0 = smtp.received()
  const started = performance.now()
  const end = started + opts.seconds * 1000
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        try {
          const r = await signUp(url, smtp, opts.tag)
          totals.push(r.total)
          mails.push(r.mail)
        } catch (e) {
          errors++
          firstError ??= e instanceof Error ? e.message : String(e)
        }
      }
    }),
  )
  // The last sign-ups end a little after `end`: rates are over the time actually taken.
  const elapsed = (performance.now() - started) / 1000
  const sends = smtp.received() - sent0
  totals.sort((a, b) => a - b)
  mails.sort((a, b) => a - b)
  return {
    rate: totals.length / elapsed,
    sendsPerSecond: sends / elapsed,
    p50: pct(totals, 50),
    p99: pct(totals, 99),
    mailP50: pct(mails, 50),
    mailP99: pct(mails, 99),
    completed: totals.length,
    sends,
    errors,
    firstError,
  }
}
