import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { hashPassword } from 'better-auth/crypto'
import { argon2Ceiling } from '../ceilings.js'
import {
  BENCH_SECRET,
  cpuSeconds,
  type Proc,
  rssMiB,
  start,
  startLatchkeyServer,
} from '../servers.js'

/*
 * `npm run bench:peers` (issue #21 item 5): Latchkey beside Better Auth on the same machine and
 * load. Both run one process per core (Latchkey's LATCHKEY_WORKERS, Better Auth behind
 * node:cluster), on an SQLite file with the same pragmas, rate limits off, tokens RS256 with
 * RSA-2048 and 60 s; Better Auth with email + password and its JWT plugin (better-auth-server.ts
 * says exactly how). Each pair is loaded the same way from this process (autocannon, 32
 * connections, BENCH_SECONDS after a 2 s warm-up), A then B then A then B, and the two rounds of
 * each averaged: these machines drift within minutes. Sign-in and sign-up are bounded by each
 * server's own password hash (Latchkey argon2id m=19456 t=2 p=1, Better Auth scrypt N=16384 r=16
 * p=1 by default): each row gives that share, and an equal-hash row runs Better Auth with
 * Latchkey's argon2id. Writes docs/BENCHMARKS-PEERS.md.
 */

const CORES = availableParallelism()
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const PASSWORD = 'benchmark passphrase 1'
const log = (s: string) => process.stderr.write(`${s}\n`)

type Server = { name: string; url: string; pid: number; stop(): Promise<void> }

async function latchkey(port: number): Promise<Server> {
  const s = await startLatchkeyServer({
    port,
    dialect: 'sqlite',
    tag: 'peers',
    workers: CORES,
  })
  // A sign-up completes at once, as Better Auth's does (no email verification on either side).
  await setVerifyAtSignUp(s.url, false)
  return { name: 'Latchkey', url: s.url, pid: s.proc.child.pid ?? 0, stop: s.stop }
}

async function betterAuth(port: number, hash: 'scrypt' | 'argon2id'): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-bench-peer-'))
  const proc: Proc = await start(
    ['bench/peers/better-auth-server.ts'],
    {
      PORT: String(port),
      PEER_DB: join(dir, 'better-auth.db'),
      PEER_WORKERS: String(CORES),
      PEER_HASH: hash,
    },
    'ready on',
  )
  return {
    name: hash === 'scrypt' ? 'Better Auth' : 'Better Auth (argon2id)',
    url: `http://127.0.0.1:${port}`,
    pid: proc.child.pid ?? 0,
    stop: async () => {
      await proc.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function bapi(url: string, path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_SECRET}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<Record<string, unknown>>
}

async function setVerifyAtSignUp(url: string, on: boolean) {
  await bapi(url, '/v1/instance/user_settings', 'PATCH', {
    sign_up: { verify_email_at_sign_up: on },
  })
}

/** What each server is asked, as one browser would ask it. */
type Flows = {
  /** A signed-in browser's cookie (and, for Latchkey, its session id). */
  signedIn(email: string): Promise<{ cookie: string; sid: string }>
  mint(cookie: string, sid: string): autocannon.Options
  read(cookie: string): autocannon.Options
  signIn(email: string): autocannon.Options
  signUp(tag: string): autocannon.Options
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const json = { 'content-type': 'application/json' }
let serial = 0

function latchkeyFlows(url: string): Flows {
  return {
    async signedIn(email) {
      await bapi(url, '/v1/users', 'POST', { email_address: [email], password: PASSWORD })
      const res = await fetch(`${url}/v1/client/sign_ins`, {
        method: 'POST',
        headers: { ...form, origin: url },
        body: new URLSearchParams({ identifier: email, password: PASSWORD, strategy: 'password' }),
      })
      const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? ''
      const body = (await res.json()) as { response: { created_session_id: string } }
      return { cookie, sid: body.response.created_session_id }
    },
    mint: (cookie, sid) => ({
      url: `${url}/v1/client/sessions/${sid}/tokens`,
      method: 'POST',
      headers: { cookie, origin: url },
    }),
    read: (cookie) => ({ url: `${url}/v1/me`, headers: { cookie, origin: url } }),
    signIn: (email) => ({
      url: `${url}/v1/client/sign_ins`,
      method: 'POST',
      headers: { ...form, origin: url },
      body: new URLSearchParams({
        identifier: email,
        password: PASSWORD,
        strategy: 'password',
      }).toString(),
    }),
    signUp: (tag) => ({
      url,
      requests: [
        {
          method: 'POST',
          path: '/v1/client/sign_ups',
          headers: { ...form, origin: url },
          setupRequest: (r) => ({
            ...r,
            body: new URLSearchParams({
              email_address: `up-${tag}-${++serial}@example.com`,
              password: PASSWORD,
            }).toString(),
          }),
        },
      ],
    }),
  }
}

function betterAuthFlows(url: string): Flows {
  const api = `${url}/api/auth`
  return {
    async signedIn(email) {
      const res = await fetch(`${api}/sign-up/email`, {
        method: 'POST',
        headers: { ...json, origin: url },
        body: JSON.stringify({ email, password: PASSWORD, name: 'Bench' }),
      })
      if (!res.ok) throw new Error(`better-auth sign-up: ${res.status} ${await res.text()}`)
      const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? ''
      return { cookie, sid: '' }
    },
    mint: (cookie) => ({ url: `${api}/token`, headers: { cookie, origin: url } }),
    read: (cookie) => ({ url: `${api}/get-session`, headers: { cookie, origin: url } }),
    signIn: (email) => ({
      url: `${api}/sign-in/email`,
      method: 'POST',
      headers: { ...json, origin: url },
      body: JSON.stringify({ email, password: PASSWORD }),
    }),
    signUp: (tag) => ({
      url,
      requests: [
        {
          method: 'POST',
          path: '/api/auth/sign-up/email',
          headers: { ...json, origin: url },
          setupRequest: (r) => ({
            ...r,
            body: JSON.stringify({
              email: `up-${tag}-${++serial}@example.com`,
              password: PASSWORD,
              name: 'Bench',
            }),
          }),
        },
      ],
    }),
  }
}

type Sample = { rps: number; p50: number; p99: number; bad: number; cpuMs: number }

/** One load of `opts` on `server`: its rate, latencies, failures and server CPU per request. */
async function run(server: Server, opts: autocannon.Options, seconds: number): Promise<Sample> {
  const cpu0 = await cpuSeconds(server.pid)
  const r = await autocannon({ connections: 32, duration: seconds, ...opts })
  const cpu = (await cpuSeconds(server.pid)) - cpu0
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.errors + r.non2xx,
    cpuMs: (cpu * 1000) / Math.max(1, r.requests.total),
  }
}

const mean = (xs: Sample[]): Sample => {
  const avg = (k: keyof Sample) => xs.reduce((s, x) => s + x[k], 0) / xs.length
  return { rps: avg('rps'), p50: avg('p50'), p99: avg('p99'), bad: avg('bad'), cpuMs: avg('cpuMs') }
}

/** A then B then A then B, each after a warm-up: each side's mean over its two rounds. */
async function pair(
  a: [Server, () => autocannon.Options],
  b: [Server, () => autocannon.Options],
): Promise<[Sample, Sample]> {
  const got: [Sample[], Sample[]] = [[], []]
  for (let round = 0; round < 2; round++) {
    for (const [i, [server, opts]] of [a, b].entries()) {
      await run(server, opts(), 2)
      got[i as 0 | 1].push(await run(server, opts(), SECONDS))
    }
  }
  return [mean(got[0]), mean(got[1])]
}

/** scrypt hashes per second as Better Auth computes them (its own function, in this process). */
async function scryptCeiling(ms: number): Promise<number> {
  let n = 0
  const end = Date.now() + ms
  await Promise.all(
    Array.from({ length: Math.max(4, CORES * 2) }, async () => {
      while (Date.now() < end) {
        await hashPassword('a benchmark password')
        n++
      }
    }),
  )
  return n / (ms / 1000)
}

/** What an answer costs on the wire: its status line and headers, and its body. */
async function answerBytes(opts: autocannon.Options) {
  const res = await fetch(opts.url, {
    method: opts.method ?? 'GET',
    headers: opts.headers as Record<string, string>,
  })
  const body = Buffer.byteLength(await res.text())
  let head = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`.length + 2
  res.headers.forEach((value, name) => {
    head += name.length + value.length + 4
  })
  return head + body
}

type Row = {
  name: string
  latchkey: string
  peer: string
  ratio: number
  target?: string
  met?: boolean
  note: string
}
const rows: Row[] = []
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d })
const rate = (s: Sample) =>
  `${fmt(s.rps)}/s (p50 ${fmt(s.p50, 1)}, p99 ${fmt(s.p99, 1)} ms; ${fmt(s.cpuMs, 2)} ms CPU/req${s.bad ? `; ${fmt(s.bad)} failed` : ''})`

function push(row: Row) {
  rows.push(row)
  log(`  ${row.name}: Latchkey ${row.latchkey} | peer ${row.peer} | ×${row.ratio.toFixed(2)}`)
}

async function main() {
  const started = new Date()
  const lk = await latchkey(4800)
  const ba = await betterAuth(4801, 'scrypt')
  const L = latchkeyFlows(lk.url)
  const B = betterAuthFlows(ba.url)
  try {
    const ls = await L.signedIn('peer@example.com')
    const bs = await B.signedIn('peer@example.com')

    log('JWT mint…')
    const [lm, bm] = await pair(
      [lk, () => L.mint(ls.cookie, ls.sid)],
      [ba, () => B.mint(bs.cookie, '')],
    )
    push({
      name: 'JWT mint (RS256, 60 s), one signed-in browser',
      latchkey: rate(lm),
      peer: rate(bm),
      ratio: lm.rps / bm.rps,
      note: 'Latchkey `POST /v1/client/sessions/{id}/tokens`; Better Auth `GET /api/auth/token` (JWT plugin)',
    })

    log('session read…')
    const [lr, br] = await pair([lk, () => L.read(ls.cookie)], [ba, () => B.read(bs.cookie)])
    push({
      name: 'Session read ("who is this browser"), one signed-in browser',
      latchkey: rate(lr),
      peer: rate(br),
      ratio: lr.rps / br.rps,
      note: 'Latchkey `GET /v1/me`; Better Auth `GET /api/auth/get-session` (cookie cache off, its default; no JWT header)',
    })

    log('sign-in…')
    const argon = await argon2Ceiling(3000)
    const scrypt = await scryptCeiling(3000)
    const [li, bi] = await pair(
      [lk, () => L.signIn('peer@example.com')],
      [ba, () => B.signIn('peer@example.com')],
    )
    push({
      name: 'Password sign-in, each server with its own hash',
      latchkey: rate(li),
      peer: rate(bi),
      ratio: li.rps / bi.rps,
      note: `shares of their own hash ceilings: Latchkey ${(li.rps / argon).toFixed(2)} of argon2id ${fmt(argon, 1)}/s, Better Auth ${(bi.rps / scrypt).toFixed(2)} of scrypt ${fmt(scrypt, 1)}/s`,
    })

    log('sign-up…')
    const [lu, bu] = await pair([lk, () => L.signUp('lk')], [ba, () => B.signUp('ba')])
    push({
      name: 'Sign-up (email + password, completes at once), each server with its own hash',
      latchkey: rate(lu),
      peer: rate(bu),
      ratio: lu.rps / bu.rps,
      note: `shares: Latchkey ${(lu.rps / argon).toFixed(2)} of argon2id, Better Auth ${(bu.rps / scrypt).toFixed(2)} of scrypt; Latchkey also checks the password against its common-password list`,
    })

    log('bytes…')
    const lb = await answerBytes(L.mint(ls.cookie, ls.sid))
    const bb = await answerBytes(B.mint(bs.cookie, ''))
    push({
      name: 'Bytes of a token answer (status line, headers, body)',
      latchkey: `${fmt(lb)} B`,
      peer: `${fmt(bb)} B`,
      ratio: lb / bb,
      target: '≤ 1.20',
      met: lb / bb <= 1.2,
      note: "Latchkey's answer carries OWASP's REST header set and a token with Clerk's claims (sid, azp, fva, sts, v)",
    })

    const lmem = await rssMiB(lk.pid)
    const bmem = await rssMiB(ba.pid)
    push({
      name: `RSS of the whole deployment (${CORES} workers and the primary) after the loads above`,
      latchkey: `${fmt(lmem)} MiB`,
      peer: `${fmt(bmem)} MiB`,
      ratio: lmem / bmem,
      target: '≤ 1.00',
      met: lmem / bmem <= 1,
      note: 'resident set of each server process tree, from /proc',
    })
  } finally {
    await ba.stop()
  }

  log('equal hash…')
  const ba2 = await betterAuth(4802, 'argon2id')
  const B2 = betterAuthFlows(ba2.url)
  try {
    await B2.signedIn('peer@example.com')
    const argon = await argon2Ceiling(3000)
    const [li, bi] = await pair(
      [lk, () => L.signIn('peer@example.com')],
      [ba2, () => B2.signIn('peer@example.com')],
    )
    push({
      name: 'Password sign-in, both with argon2id (m=19456, t=2, p=1)',
      latchkey: rate(li),
      peer: rate(bi),
      ratio: li.rps / bi.rps,
      note: `shares of the argon2id ceiling ${fmt(argon, 1)}/s: Latchkey ${(li.rps / argon).toFixed(2)}, Better Auth ${(bi.rps / argon).toFixed(2)}`,
    })
    const [lu, bu] = await pair([lk, () => L.signUp('lk2')], [ba2, () => B2.signUp('ba2')])
    push({
      name: 'Sign-up, both with argon2id',
      latchkey: rate(lu),
      peer: rate(bu),
      ratio: lu.rps / bu.rps,
      note: `shares of the argon2id ceiling: Latchkey ${(lu.rps / argon).toFixed(2)}, Better Auth ${(bu.rps / argon).toFixed(2)}`,
    })
  } finally {
    await ba2.stop()
    await lk.stop()
  }
  await writeReport(started)
}

async function writeReport(started: Date) {
  const table = [
    '| Pair | Latchkey | Better Auth | Latchkey ÷ Better Auth | Target | Met |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} — ${r.note} | ${r.latchkey} | ${r.peer} | ${r.ratio.toFixed(2)} | ${r.target ?? '—'} | ${r.met === undefined ? '—' : r.met ? 'yes' : '**no**'} |`,
    ),
  ].join('\n')
  const md = `# Latchkey beside Better Auth

Produced by \`npm run bench:peers\` on ${started.toISOString().slice(0, 10)}: ${CORES} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, Better Auth as pinned in \`bench/peers/package.json\`.

The configuration, so anyone can check it is fair:
- Both servers run ${CORES} worker processes (Latchkey's \`LATCHKEY_WORKERS\`, Better Auth behind \`node:cluster\`) on loopback, on an SQLite file each with the same pragmas (WAL, \`synchronous=NORMAL\`, 64 MiB cache, 256 MiB mmap), rate limits off, logging at warnings.
- Tokens: RS256 with RSA-2048, 60 s, on both (Better Auth's JWT plugin with \`keyPairConfig: { alg: 'RS256' }\`).
- Better Auth: email + password, its defaults otherwise (scrypt N=16384 r=16 p=1, session cookie cache off); the equal-hash rows give it argon2id with Latchkey's parameters through \`emailAndPassword.password\`. Latchkey: its defaults, with email verification at sign-up turned off so both sign-ups complete at once. \`bench/peers/better-auth-server.ts\` is the whole Better Auth setup.
- The load: autocannon from a second process on the same ${CORES} cores, 32 connections, ${SECONDS} s after a 2 s warm-up; each pair run A, B, A, B and each side averaged over its two rounds. These machines are shared and noisy: read the ratios.

${table}
`
  await writeFile(new URL('../../docs/BENCHMARKS-PEERS.md', import.meta.url), md)
  process.stdout.write(`\n${table}\n\nwritten to docs/BENCHMARKS-PEERS.md\n`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
