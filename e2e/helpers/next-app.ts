import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The `@clerk/nextjs` test app (e2e/fixtures/next-app) and the `next` binary that runs it. */
export const NEXT_APP_DIR = fileURLToPath(new URL('../fixtures/next-app/', import.meta.url))
/** The `@clerk/nextjs` 6 (Clerk Core 2) app: the InstantDB guide's component as published. */
export const NEXT6_APP_DIR = fileURLToPath(new URL('../fixtures/next6-app/', import.meta.url))
const NEXT_BIN = fileURLToPath(new URL('../../node_modules/next/dist/bin/next', import.meta.url))

/** Runs `next <args>` in an app's folder; resolves with its output, rejects on a non-zero exit. */
function runNext(args: string[], env: Record<string, string>, dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      out += d
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`next ${args[0]} exited ${code}:\n${out}`)),
    )
  })
}

/**
 * `next build` with the app's environment: `NEXT_PUBLIC_*` values are compiled into the client
 * bundles, so the build needs the publishable key and proxy URL it will run with.
 */
export function buildNextApp(env: Record<string, string>, dir = NEXT_APP_DIR): Promise<string> {
  return runNext(['build'], env, dir)
}

export type NextServer = { url: string; output(): string; stop(): Promise<void> }

/**
 * `next start` on a port, in its own process group (stopped by its id), ready once it answers.
 * `dir` is the app's folder (built first with `buildNextApp`).
 */
export async function startNextApp(
  port: number,
  env: Record<string, string>,
  dir = NEXT_APP_DIR,
): Promise<NextServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [NEXT_BIN, 'start', '-p', String(port), '-H', 'localhost'],
    {
      cwd: dir,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let out = ''
  child.stdout?.on('data', (d) => {
    out += d
  })
  child.stderr?.on('data', (d) => {
    out += d
  })
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const url = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // already gone
      }
      await exited
    }
  }
  // Ready when Next answers (its "Ready" line can come before the port accepts).
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`next start exited ${child.exitCode}:\n${out}`)
    const ok = await fetch(`${url}/api/me`).then(
      (r) => r.status < 500,
      () => false,
    )
    if (ok) break
    if (attempt > 300) {
      await stop()
      throw new Error(`next start did not answer:\n${out}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { url, output: () => out, stop }
}
