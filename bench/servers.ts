import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export type Proc = { child: ChildProcess; output: () => string; stop(): Promise<void> }

/** Starts a process and resolves once its output contains `readyText`. */
export function start(
  args: string[],
  env: Record<string, string>,
  readyText: string,
): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      // Keep only the tail: request logs are off, but stay bounded anyway.
      out = (out + d.toString()).slice(-20_000)
      if (out.includes(readyText)) {
        resolve({
          child,
          output: () => out,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r()
              child.once('exit', () => r())
              child.kill('SIGTERM')
            }),
        })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) =>
      reject(new Error(`process exited (${code}) before ready:\n${out}`)),
    )
  })
}

export const PG_URL =
  process.env.LATCHKEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A new, empty PostgreSQL database for one benchmark; returns its URL and a dropper. */
export async function freshPgDatabase(
  tag: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `latchkey_bench_${tag}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/** The secret key every benchmarked Latchkey accepts (LATCHKEY_SECRET_KEY). */
export const BENCH_SECRET = 'sk_live_benchmark_secret_key_0123456789'

export type LatchkeyServer = { proc: Proc; url: string; dbUrl: string; stop(): Promise<void> }

/**
 * A Latchkey server on `port` as the benchmarks run it: `workers` cluster workers, rate limits
 * off, warnings only in the log, a data directory (and a PostgreSQL database) of its own.
 */
export async function startLatchkeyServer(opts: {
  port: number
  dialect: 'sqlite' | 'postgres'
  tag: string
  workers: number
  env?: Record<string, string>
}): Promise<LatchkeyServer> {
  const { port, dialect, tag } = opts
  const dataDir = await mkdtemp(join(tmpdir(), `latchkey-bench-${tag}-`))
  const pgdb = dialect === 'postgres' ? await freshPgDatabase(tag) : undefined
  const dbUrl = pgdb?.url ?? `sqlite:${join(dataDir, 'latchkey.db')}`
  const proc = await start(
    ['packages/server/src/main.ts'],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_URL: `http://127.0.0.1:${port}`,
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DATABASE_URL: dbUrl,
      LATCHKEY_WORKERS: String(opts.workers),
      LATCHKEY_RATE_LIMIT: 'off',
      LATCHKEY_SECRET_KEY: BENCH_SECRET,
      LATCHKEY_LOG_LEVEL: 'warn',
      ...opts.env,
    },
    'Publishable key:',
  )
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    dbUrl,
    stop: async () => {
      await proc.stop()
      await pgdb?.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** A process and its children (cluster workers). */
async function processTree(pid: number): Promise<number[]> {
  const pids = [pid]
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const stat = await readFile(`/proc/${p}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) pids.push(Number(p))
    } catch {}
  }
  return pids
}

/** CPU seconds (user + system) a process and its children have used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  let ticks = 0
  for (const p of await processTree(pid)) {
    try {
      const stat = await readFile(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  // Linux reports in clock ticks of 1/100 s (USER_HZ).
  return ticks / 100
}

/** Resident set size, in MiB, of a process and its children (cluster workers). */
export async function rssMiB(pid: number): Promise<number> {
  const pids = await processTree(pid)
  let kb = 0
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${p}/status`, 'utf8'))
      kb += Number(m?.[1] ?? 0)
    } catch {}
  }
  return kb / 1024
}
