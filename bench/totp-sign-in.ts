import * as OTPAuth from 'otpauth'
import { post as formPost } from './verified-sign-up.js'

/*
 * Issue #21 item 6, "a TOTP second factor": whole two-step sign-ins, each a browser of its own —
 * the password (hashed once, the bound), then an authenticator code — until the session is
 * active. A TOTP step is accepted once per user and only later than the last (replay), within
 * one step either side of now: each user signs in at most three times per 30 s (steps s−1, s,
 * s+1), so the load rotates through enough enrolled users. A closed loop, as the verified
 * sign-up's: autocannon cannot compute a code between two requests.
 */

const PASSWORD = 'benchmark passphrase 1'
const PERIOD_MS = 30_000

type Answer = {
  id?: string
  status?: string
  created_session_id?: string | null
  secret?: string
}

const post = (url: string, path: string, jar: Map<string, string>, form: object) =>
  formPost<Answer>(url, path, jar, form)

type Enrolled = { email: string; totp: OTPAuth.TOTP; lastStep: number }

const step = (ms: number) => Math.floor(ms / PERIOD_MS)
const code = (u: Enrolled, s: number) => u.totp.generate({ timestamp: s * PERIOD_MS })

/** A user with a password and a verified authenticator app (Backend API, then the profile). */
async function enrol(url: string, secretKey: string, email: string): Promise<Enrolled> {
  const res = await fetch(`${url}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email_address: [email], password: PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`create user: ${res.status} ${await res.text()}`)
  const jar = new Map<string, string>()
  const signIn = await post(url, '/v1/client/sign_ins', jar, {
    identifier: email,
    password: PASSWORD,
    strategy: 'password',
  })
  const sid = signIn.created_session_id
  if (!sid) throw new Error(`enrolment sign-in is ${signIn.status}`)
  const created = await post(url, `/v1/me/totp?_clerk_session_id=${sid}`, jar, {})
  const totp = new OTPAuth.TOTP({
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(created.secret ?? ''),
  })
  // Enrolment proves the previous step (accepted, one step of drift), leaving this one and the
  // next to sign-ins.
  const previous = step(Date.now()) - 1
  await post(url, `/v1/me/totp/attempt_verification?_clerk_session_id=${sid}`, jar, {
    code: totp.generate({ timestamp: previous * PERIOD_MS }),
  })
  return { email, totp, lastStep: previous }
}

/** `n` enrolled users, `concurrency` at a time. */
export async function enrolTotpUsers(
  url: string,
  secretKey: string,
  opts: { n: number; concurrency: number; tag: string },
): Promise<Enrolled[]> {
  const users: Enrolled[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.n) {
        const i = next++
        users.push(await enrol(url, secretKey, `totp-${opts.tag}-${i}@example.com`))
      }
    }),
  )
  return users
}

/** The next user with a step still unused (s−1 … s+1), and that step; undefined if none. */
function take(users: Enrolled[], at: { i: number }): { user: Enrolled; s: number } | undefined {
  const now = step(Date.now())
  for (let k = 0; k < users.length; k++) {
    const user = users[(at.i + k) % users.length] as Enrolled
    const s = Math.max(user.lastStep + 1, now - 1)
    if (s <= now + 1) {
      at.i = (at.i + k + 1) % users.length
      user.lastStep = s
      return { user, s }
    }
  }
  return undefined
}

/** One sign-in: password, then the code of step `s`; resolves with the ms each step took. */
async function signIn(url: string, user: Enrolled, s: number) {
  const t0 = performance.now()
  const jar = new Map<string, string>()
  const first = await post(url, '/v1/client/sign_ins', jar, {
    identifier: user.email,
    password: PASSWORD,
    strategy: 'password',
  })
  const t1 = performance.now()
  if (first.status !== 'needs_second_factor') throw new Error(`sign-in is ${first.status}`)
  const done = await post(url, `/v1/client/sign_ins/${first.id}/attempt_second_factor`, jar, {
    strategy: 'totp',
    code: code(user, s),
  })
  const t2 = performance.now()
  if (done.status !== 'complete' || !done.created_session_id)
    throw new Error(`second factor ended ${done.status}`)
  return { password: t1 - t0, totp: t2 - t1 }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0

export type TotpLoad = {
  rate: number
  p50: number
  p99: number
  password: { p50: number; p99: number }
  totp: { p50: number; p99: number }
  completed: number
  errors: number
  /** Sign-ins not started for want of a user with a step left (enrol more if not 0). */
  starved: number
  firstError: string | undefined
}

/** `concurrency` browsers signing in with password + TOTP, one after another, for `seconds`. */
export async function totpSignInLoad(
  url: string,
  users: Enrolled[],
  opts: { seconds: number; concurrency: number },
): Promise<TotpLoad> {
  const totals: number[] = []
  const pw: number[] = []
  const tp: number[] = []
  let errors = 0
  let starved = 0
  let firstError: string | undefined
  const at = { i: 0 }
  const started = performance.now()
  const end = started + opts.seconds * 1000
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const next = take(users, at)
        if (!next) {
          starved++
          await new Promise((r) => setTimeout(r, 50))
          continue
        }
        try {
          const r = await signIn(url, next.user, next.s)
          totals.push(r.password + r.totp)
          pw.push(r.password)
          tp.push(r.totp)
        } catch (e) {
          errors++
          firstError ??= e instanceof Error ? e.message : String(e)
        }
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  for (const xs of [totals, pw, tp]) xs.sort((a, b) => a - b)
  return {
    rate: totals.length / elapsed,
    p50: pct(totals, 50),
    p99: pct(totals, 99),
    password: { p50: pct(pw, 50), p99: pct(pw, 99) },
    totp: { p50: pct(tp, 50), p99: pct(tp, 99) },
    completed: totals.length,
    errors,
    starved,
    firstError,
  }
}
