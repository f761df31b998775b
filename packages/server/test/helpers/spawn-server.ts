import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// The built server (vitest.setup.ts builds it), run as `npm start` and the container run it.
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

export type Spawned = {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
  /** Resolves once the banner is printed. */
  ready: Promise<void>
}

/**
 * Starts `latchkey` as a real process, the way `npm start` does, with the usual umask (022), so
 * file modes are what an operator's would be. Its stdout is a pipe, as under a service manager,
 * or with `tty` a pseudo-terminal (util-linux's script(1)), as in an operator's shell.
 */
export function spawnServer(env: Record<string, string>, opts: { tty?: boolean } = {}): Spawned {
  const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`
  const command = `umask 022 && exec ${[process.execPath, MAIN].map(quote).join(' ')}`
  const child = spawn(
    opts.tty ? 'script' : '/bin/sh',
    opts.tty ? ['-qefc', command, '/dev/null'] : ['-c', command],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let onReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    onReady = resolve
  })
  const onData = (d: Buffer) => {
    out += d.toString()
    if (out.includes('Publishable key:')) onReady()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  // 'close', not 'exit': the process's last output may still be in the pipe when it exits.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, output: () => out, exited, ready: Promise.race([ready, exited.then(() => {})]) }
}
