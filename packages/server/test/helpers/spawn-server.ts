import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

export type Spawned = {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
  /** Resolves once the banner is printed. */
  ready: Promise<void>
}

/** Starts `latchkey` as a real process, the way `npm start` does. */
export function spawnServer(env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
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
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited, ready: Promise.race([ready, exited.then(() => {})]) }
}
