import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { vendoredPackageDir } from './vendor-dir.js'

/** A vendored file: its size and SHA-256 as published, its gzipped bytes read on first use. */
export type VendoredFile = {
  readonly size: number
  /** A strong ETag from the published file's SHA-256. */
  readonly etag: string
  readonly contentType: string
  gzipped(): Promise<Buffer>
}

type Manifest = {
  name: string
  version: string
  files: { [path: string]: { size: number; sha256: string } }
}

/** A lookup's answer: the file, and whether the path named its exact version (immutable). */
export type Found = { file: VendoredFile; exact: boolean }

/**
 * Clerk's browser bundles as vendored by scripts/vendor-clerk.mjs, for the configured package
 * versions. Clerk's SDKs ask for a major version (`@clerk/clerk-js@6/dist/clerk.browser.js`);
 * the entry script then loads its chunks from its exact version
 * (`@clerk/clerk-js@6.40.0/dist/…`: webpack's public path is the script's folder with the version
 * replaced by its own). Both are answered here; any other path is not found. Only files listed
 * in a manifest are served, so no request path reaches the file system.
 */
export class VendoredBundles {
  /** `@clerk/clerk-js@6.40.0`, `@clerk/clerk-js@6` (and `@latest`) → that version's files. */
  readonly #byVersion = new Map<string, { exact: string; files: Map<string, VendoredFile> }>()

  constructor(bundles: readonly { readonly name: string; readonly version: string }[]) {
    for (const { name, version } of bundles) {
      const dir = vendoredPackageDir(name, version)
      const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as Manifest
      const files = new Map<string, VendoredFile>()
      for (const [path, meta] of Object.entries(manifest.files))
        files.set(path, vendored(dir, path, meta))
      const entry = { exact: version, files }
      this.#byVersion.set(`${name}@${version}`, entry)
      this.#byVersion.set(`${name}@${version.split('.')[0]}`, entry)
      // `@latest` (the tag Clerk's older script-tag snippets use): the newest configured version.
      const latest = this.#byVersion.get(`${name}@latest`)
      if (!latest || newer(version, latest.exact)) this.#byVersion.set(`${name}@latest`, entry)
    }
  }

  /** The file at `/npm/<name>@<version or major>/<path>`, or `undefined`. */
  find(name: string, version: string, path: string): Found | undefined {
    const entry = this.#byVersion.get(`${name}@${version}`)
    const file = entry?.files.get(path)
    return file && entry ? { file, exact: version === entry.exact } : undefined
  }
}

function vendored(dir: string, path: string, meta: { size: number; sha256: string }): VendoredFile {
  let bytes: Promise<Buffer> | undefined
  return {
    size: meta.size,
    etag: `"${meta.sha256.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_')}"`,
    contentType: path.endsWith('.js')
      ? 'text/javascript; charset=utf-8'
      : 'text/plain; charset=utf-8',
    gzipped() {
      // Kept flat (scripts/vendor-clerk.mjs): dist/x.js is x.js.gz.
      bytes ??= readFile(`${dir}${path.replace(/^dist\//, '')}.gz`).catch((error: unknown) => {
        bytes = undefined
        throw error
      })
      return bytes
    },
  }
}

function newer(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number))
  for (let i = 0; i < 3; i++)
    if ((x?.[i] ?? 0) !== (y?.[i] ?? 0)) return (x?.[i] ?? 0) > (y?.[i] ?? 0)
  return false
}
