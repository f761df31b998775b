import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * packages/server/vendor/npm/, where scripts/vendor-clerk.mjs puts Clerk's bundles. This module
 * runs from src/clerk-bundles/ (tsx, tests) or bundled into dist/ (`npm start`, the image), one
 * folder less deep; the vendor folder is the one beside either.
 */
export const VENDOR_DIR: string =
  [new URL('../../vendor/npm/', import.meta.url), new URL('../vendor/npm/', import.meta.url)]
    .map((u) => fileURLToPath(u))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../vendor/npm/', import.meta.url))

/** The folder of one vendored package version: `@clerk/clerk-js@6.40.0`. */
export function vendoredPackageDir(name: string, version: string): string {
  return `${VENDOR_DIR}${name}@${version}/`
}

/** Whether `name@version` was vendored (its manifest is there). */
export function isVendored(name: string, version: string): boolean {
  return existsSync(`${vendoredPackageDir(name, version)}manifest.json`)
}
