import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import type { Logger } from 'pino'

/** The key sealing secrets at rest, when the operator supplies none (see master-key.ts). */
export const MASTER_KEY_FILE = 'master.key'
/** The secret key generated on first boot, for the operator to collect (see main.ts). */
export const SECRET_KEY_FILE = 'secret-key'

/** A SQLite database's own files: the database, its write-ahead log, shared memory, journal. */
const SQLITE_SUFFIXES = ['', '-wal', '-shm', '-journal']

function sqliteFiles(databaseUrl: string): string[] {
  if (!databaseUrl.startsWith('sqlite:')) return []
  const path = databaseUrl.slice('sqlite:'.length)
  return path === ':memory:' ? [] : SQLITE_SUFFIXES.map((s) => resolve(`${path}${s}`))
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`

/** Removes group and other permissions from one path, if it has any; logs the change. */
function tighten(path: string, log: Logger): void {
  const stat = lstatSync(path, { throwIfNoEntry: false })
  if (!stat || stat.isSymbolicLink() || (stat.mode & 0o077) === 0) return
  const mode = stat.mode & 0o700
  try {
    chmodSync(path, mode)
    log.warn({ path, was: octal(stat.mode), now: octal(mode) }, 'tightened permissions')
  } catch (err) {
    log.error({ err, path, mode: octal(stat.mode) }, 'could not tighten permissions')
  }
}

/**
 * Makes an existing data directory private, before anything else opens it: older versions
 * created it 0755 and the SQLite files 0644, readable by every local user. Latchkey's own files
 * (the master key, the first boot's secret key, the SQLite database and its -wal, -shm and
 * -journal files, wherever the database is) become 0600, and the directory 0700 when it holds
 * nothing else — a directory shared with other files (`LATCHKEY_DATA_DIR=.`) is not Latchkey's
 * to change, so a warning names it instead. Each change is logged. A directory that does not
 * exist is left for its first writer, which creates it 0700 (`writePrivateFile`, createDb).
 */
export function secureDataDir(dataDir: string, databaseUrl: string, log: Logger): void {
  const dir = resolve(dataDir)
  const db = sqliteFiles(databaseUrl)
  for (const path of [resolve(dir, MASTER_KEY_FILE), resolve(dir, SECRET_KEY_FILE), ...db])
    tighten(path, log)
  const stat = lstatSync(dir, { throwIfNoEntry: false })
  if (!stat?.isDirectory() || (stat.mode & 0o077) === 0) return
  const ours = new Set([
    MASTER_KEY_FILE,
    SECRET_KEY_FILE,
    ...db.filter((f) => dirname(f) === dir).map((f) => basename(f)),
  ])
  const others = readdirSync(dir).filter((name) => !ours.has(name))
  if (others.length === 0) tighten(dir, log)
  else
    log.warn(
      { path: dir, mode: octal(stat.mode), others: others.slice(0, 5) },
      'the data directory is readable by other users and holds other files: make it 0700',
    )
}

/**
 * Writes a file only its owner may read: the directory is created 0700 if missing and the file
 * is created 0600 (the umask can only narrow that), so it never exists with a wider mode.
 * `replace` removes an older file of that name first; without it an existing file is an error
 * (EEXIST), so two processes racing to create a key cannot both believe they did. Returns the
 * file's absolute path.
 */
export function writePrivateFile(
  dataDir: string,
  name: string,
  content: string,
  opts: { replace?: boolean } = {},
): string {
  const path = resolve(dataDir, name)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  if (opts.replace) rmSync(path, { force: true })
  writeFileSync(path, content, { mode: 0o600, flag: 'wx' })
  return path
}
