import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { secureDataDir, writePrivateFile } from './data-dir.js'

/** A logger whose lines the test reads. */
function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) })
  return { log, lines }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

/* The boot-time decisions of issue "Bad input and secrets at rest", item 2 (process.test.ts
 * checks a real server's folder end to end). */
describe('secureDataDir', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it("tightens Latchkey's files, but not a folder that also holds other files", () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-shared-'))
    chmodSync(dir, 0o755)
    for (const f of ['master.key', 'latchkey.db', 'latchkey.db-wal', 'notes.txt'])
      writeFileSync(join(dir, f), 'x', { mode: 0o644 })
    const { log, lines } = capture()
    secureDataDir(dir, `sqlite:${join(dir, 'latchkey.db')}`, log)
    expect([
      mode(dir),
      mode(join(dir, 'master.key')),
      mode(join(dir, 'latchkey.db')),
      mode(join(dir, 'latchkey.db-wal')),
      mode(join(dir, 'notes.txt')),
    ]).toEqual(['755', '600', '600', '600', '644'])
    expect(lines.filter((l) => l.msg === 'tightened permissions')).toHaveLength(3)
    expect(lines.find((l) => l.path === dir)).toMatchObject({
      level: 40,
      others: ['notes.txt'],
      msg: expect.stringContaining('make it 0700'),
    })
  })

  it('leaves a folder that does not exist to its first writer, which creates it 0700', () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-new-'))
    const data = join(dir, 'a', 'b')
    const { log, lines } = capture()
    secureDataDir(data, 'postgres://db.example/latchkey', log)
    expect(lines).toEqual([])
    const path = writePrivateFile(data, 'secret-key', 'sk\n', { replace: true })
    expect([mode(join(dir, 'a')), mode(data), mode(path)]).toEqual(['700', '700', '600'])
    expect(() => writePrivateFile(data, 'secret-key', 'again\n')).toThrow(/EEXIST/)
  })
})
