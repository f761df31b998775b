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
export async function post<R = SignUpJson['response']>(
  url: string,
  path: string,
  jar: Map<string, string>,
  form: object,
): Promise<NonNullable<R>> {
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
  const json = (await res.json()) as { response?: R; errors?: { code?: string }[] }
  if (!res.ok) throw new Error(`${path}: ${res.status} ${json.errors?.[0]?.code ?? ''}`)
  return (json.response ?? {}) as NonNullable<R>
}

let serial = 0

const STEPS = ['create', 'prepare', 'mail', 'attempt'] as const
type Step = (typeof STEPS)[number]

/**
 * One verified sign-up; resolves with the ms each step took: `mail` is from prepare's answer
 * to the message's arrival (0 when it came first: the worker is kicked as the write commits).
 */
async function signUp(url: string, smtp: SmtpSink, tag: string): Promise<Record<Step, number>> {
  const at = [performance.now()]
  const lap = () => at.push(performance.now())
  const jar = new Map<string, string>()
  const email = `signup-${tag}-${++serial}@example.com`
  const created = await post(url, '/v1/client/sign_ups', jar, {
    email_address: email,
    password: PASSWORD,
  })
  lap()
  if (created.status !== 'missing_requirements') throw new Error(`sign-up is ${created.status}`)
  const path = `/v1/client/sign_ups/${created.id}`
  let arrived = 0
  const mail = smtp.next(email).then((text) => {
    arrived = performance.now()
    return text
  })
  await post(url, `${path}/prepare_verification`, jar, { strategy: 'email_code' })
  lap()
  const code = /\b(\d{6})\b/.exec(await mail)?.[1]
  at.push(Math.max(arrived, at[2] ?? 0))
  if (!code) throw new Error(`no code in the mail to ${email}`)
  const done = await post(url, `${path}/attempt_verification`, jar, {
    strategy: 'email_code',
    code,
  })
  lap()
  if (done.status !== 'complete' || !done.created_user_id)
    throw new Error(`sign-up ended ${done.status}`)
  const step = (i: number) => (at[i + 1] ?? 0) - (at[i] ?? 0)
  return { create: step(0), prepare: step(1), mail: step(2), attempt: step(3) }
}

export type SignUpLoad = {
  rate: number
  sendsPerSecond: number
  p50: number
  p99: number
  /** Each step's p50 and p99, ms. */
  steps: Record<Step, { p50: number; p99: number }>
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
  const steps = Object.fromEntries(STEPS.map((k) => [k, [] as number[]])) as Record<Step, number[]>
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
          totals.push(STEPS.reduce((sum, k) => sum + r[k], 0))
          for (const k of STEPS) steps[k].push(r[k])
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
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b)
  sorted(totals)
  return {
    rate: totals.length / elapsed,
    sendsPerSecond: sends / elapsed,
    p50: pct(totals, 50),
    p99: pct(totals, 99),
    steps: Object.fromEntries(
      STEPS.map((k) => {
        const xs = sorted(steps[k])
        return [k, { p50: pct(xs, 50), p99: pct(xs, 99) }]
      }),
    ) as SignUpLoad['steps'],
    completed: totals.length,
    sends,
    errors,
    firstError,
  }
}

/** `create 40/90, prepare 12/30, …`: each step's p50/p99 in ms. */
export const stepsNote = (steps: SignUpLoad['steps']) =>
  STEPS.map((k) => `${k} ${steps[k].p50.toFixed(0)}/${steps[k].p99.toFixed(0)}`).join(', ')
