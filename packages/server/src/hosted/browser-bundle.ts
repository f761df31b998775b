import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** Where the server serves the `@latchkey/js` browser build (Clerk's `/npm/@clerk/clerk-js/…`). */
export const BROWSER_BUNDLE_PATH = '/npm/@latchkey/js/dist/latchkey.browser.js'

export type Bundle = { code: Buffer; etag: string }

let bundle: Promise<Bundle> | undefined

/**
 * The one-file browser build of `@latchkey/js` (an IIFE defining `window.Latchkey`): the one built
 * with the server (`dist/`), or, running from source, built with esbuild the first time it is
 * asked for (about 100 ms); kept in memory, so the server never serves a build older than its
 * own code.
 */
export function browserBundle(): Promise<Bundle> {
  bundle ??= buildBundle().catch((error: unknown) => {
    bundle = undefined
    throw error
  })
  return bundle
}

/** The built server (`npm run build`) carries the bundle made with it, beside its code. */
const PREBUILT = new URL('./latchkey.browser.js', import.meta.url)

async function buildBundle(): Promise<Bundle> {
  const code = existsSync(PREBUILT) ? await readFile(PREBUILT) : await buildFromSource()
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"`
  return { code, etag }
}

async function buildFromSource(): Promise<Buffer> {
  // esbuild is loaded here only: the built server never needs it, and at boot it is ~7 MiB of
  // every worker's memory (issue #21).
  const { build } = await import('esbuild')
  const result = await build({
    // esbuild resolves the entry as a package import from this folder; the package's
    // `@latchkey/source` export condition points at its TypeScript source rather than its
    // `dist/`, which exists only after `npm run build`.
    entryPoints: ['@latchkey/js/browser'],
    absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
    conditions: ['@latchkey/source'],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild produced no output for the browser bundle')
  return Buffer.from(file.contents)
}
