// Builds the deployable into packages/server/dist: the server and its CLI as plain ESM JavaScript
// (`node dist/main.js`, no TypeScript at run time), the browser bundle of @latchkey/js and the
// files the server reads beside its code, and the operator dashboard (packages/dashboard, built
// with Vite into dist/dashboard/ when its sources changed: dashboard/build.mjs). Workspace
// packages (@latchkey/*) are compiled in from their sources; every npm dependency stays an
// import, resolved from node_modules at run time.
// Plain JavaScript on purpose: it runs on `npm install` (the root's `prepare`), where only
// production dependencies may be present; esbuild is one of the server's.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildDashboard } from '@latchkey/dashboard/build'
import { build } from 'esbuild'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const dist = here('./dist/')
const started = performance.now()

/** npm packages stay external; relative imports and @latchkey/* sources are bundled. */
const externalNpm = {
  name: 'external-npm',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@latchkey/') ? undefined : { path: args.path, external: true },
    )
  },
}

// Everything is rebuilt but the dashboard, only when stale: it takes seconds, the rest well
// under one, and the test run builds before every run (vitest.setup.ts).
mkdirSync(dist, { recursive: true })
for (const name of readdirSync(dist))
  if (!name.startsWith('dashboard')) rmSync(`${dist}${name}`, { recursive: true, force: true })
await Promise.all([
  buildDashboard({ outDir: `${dist}dashboard`, ifStale: true }),
  build({
    entryPoints: { main: here('./src/main.ts'), cli: here('./src/cli.ts') },
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // Workspace packages are compiled in from their TypeScript sources.
    conditions: ['@latchkey/source'],
    plugins: [externalNpm],
    logLevel: 'warning',
  }),
  // The same build the server makes from source in development (hosted/browser-bundle.ts).
  build({
    entryPoints: ['@latchkey/js/browser'],
    absWorkingDir: here('./'),
    conditions: ['@latchkey/source'],
    outfile: `${dist}latchkey.browser.js`,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  }),
])
copyFileSync(here('./src/lib/common-passwords.txt'), `${dist}common-passwords.txt`)
process.stderr.write(
  `built packages/server/dist in ${Math.round(performance.now() - started)} ms\n`,
)
