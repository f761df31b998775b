// Builds the dashboard (Vite's JS API) into a folder, by default packages/server/dist/dashboard/,
// the folder the server serves at /dashboard. Plain JavaScript: it runs on `npm install` (the
// root's `prepare`, through packages/server/build.mjs). Vite and React are build-time
// (development) dependencies: an install with production dependencies only (`--omit=dev`) keeps
// the build it has and cannot make one; the container image builds it before pruning them.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('.', import.meta.url))
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../server/dist/dashboard/', import.meta.url))

/** What the build reads: a change to any of these makes the built folder stale. */
const INPUTS = ['index.html', 'vite.config.mjs', 'build.mjs', 'package.json', 'src']

function newestMtime(path) {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** Whether `outDir` lacks a build, or holds one older than the dashboard's sources. */
export function dashboardIsStale(outDir = DEFAULT_OUT_DIR) {
  let built
  try {
    built = statSync(join(outDir, 'index.html')).mtimeMs
  } catch {
    return true
  }
  return INPUTS.some((p) => newestMtime(join(HERE, p)) > built)
}

/**
 * Builds into a fresh folder beside `outDir`, then swaps it in, so a server reading `outDir`
 * never sees half a build. With `ifStale`, does nothing when the build is current. Returns
 * whether it built.
 */
export async function buildDashboard({ outDir = DEFAULT_OUT_DIR, ifStale = false } = {}) {
  if (ifStale && !dashboardIsStale(outDir)) return false
  let build
  try {
    ;({ build } = await import('vite'))
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !ifStale) throw error
    // Production dependencies only: the server starts without it and /dashboard says how.
    process.stderr.write(
      'the dashboard was not built: its build needs the development dependencies (npm ci)\n',
    )
    return false
  }
  const { default: config } = await import('./vite.config.mjs')
  const target = outDir.replace(/\/+$/, '')
  const temp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`
  mkdirSync(dirname(target), { recursive: true })
  // Always React's production build and the production JSX transform. Vite keeps a NODE_ENV
  // already set, and under the test runner (NODE_ENV=test) it would otherwise make a build that
  // mixes the two (`jsxDEV is not a function` in the browser), so the build runs with NODE_ENV
  // production, restored after.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      ...config,
      configFile: false,
      logLevel: 'warn',
      mode: 'production',
      define: { ...config.define, 'process.env.NODE_ENV': JSON.stringify('production') },
      build: { ...config.build, outDir: temp, emptyOutDir: true },
    })
    rmSync(target, { recursive: true, force: true })
    try {
      renameSync(temp, target)
    } catch (error) {
      // Another process swapped its build in between: the same sources, so it is as current.
      if (!existsSync(join(target, 'index.html'))) throw error
    }
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
    rmSync(temp, { recursive: true, force: true })
  }
  return true
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now()
  await buildDashboard({ outDir: process.argv[2] ?? DEFAULT_OUT_DIR })
  process.stderr.write(`built the dashboard in ${Math.round(performance.now() - started)} ms\n`)
}
