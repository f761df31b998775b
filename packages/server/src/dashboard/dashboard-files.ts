import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

/**
 * The built dashboard's folder: packages/server/dist/dashboard/. This module runs from
 * src/dashboard/ (tsx, tests: the folder the tests build, e2e/helpers/dashboard.ts) or bundled
 * into dist/ (`npm start`, the image), where the folder is beside it.
 */
export function defaultDashboardDir(): string {
  const fromSource = import.meta.url.endsWith('/src/dashboard/dashboard-files.ts')
  return fileURLToPath(
    new URL(fromSource ? '../../dist/dashboard/' : './dashboard/', import.meta.url),
  )
}

export type DashboardFile = {
  readonly body: Buffer
  readonly gzipped: Buffer
  readonly etag: string
  readonly contentType: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

function contentType(path: string): string {
  const dot = path.lastIndexOf('.')
  return TYPES[dot >= 0 ? path.slice(dot) : ''] ?? 'application/octet-stream'
}

function listFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...listFiles(full))
    else if (entry.isFile()) out.push(full)
  }
  return out
}

/**
 * The built files, read into memory (the build is well under a megabyte) with their gzip and
 * ETag, so no request path ever reaches the file system: a path is a key of this map or not
 * found. Re-read when index.html changes (a rebuild under a running development server).
 */
export class DashboardFiles {
  #files: Map<string, DashboardFile> | undefined
  #version = -1

  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  /** The files by URL path below the folder (`index.html`, `assets/index-3f2a.js`), or undefined if not built. */
  load(): Map<string, DashboardFile> | undefined {
    let version: number
    try {
      version = statSync(join(this.dir, 'index.html')).mtimeMs
    } catch {
      // Deleted under a running server (a rebuild's swap): keep serving what was read.
      return this.#files
    }
    if (version === this.#version && this.#files) return this.#files
    try {
      this.#files = readAll(this.dir)
      this.#version = version
    } catch {
      // Caught mid-swap (a file listed, then gone): the next request reads it again.
    }
    return this.#files
  }
}

function readAll(dir: string): Map<string, DashboardFile> {
  const files = new Map<string, DashboardFile>()
  for (const full of listFiles(dir)) {
    const body = readFileSync(full)
    const path = relative(dir, full).split(sep).join('/')
    files.set(path, {
      body,
      gzipped: gzipSync(body, { level: 9 }),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      contentType: contentType(path),
    })
  }
  return files
}
