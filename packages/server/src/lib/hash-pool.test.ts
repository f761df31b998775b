import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { HashPool } from './hash-pool.js'
import { ARGON2_OPTIONS } from './passwords.js'

/** The nice value of every thread of this process (Linux: /proc/self/task/<tid>/stat field 19). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[16])
  })
}

describe('HashPool', () => {
  const pool = new HashPool(2)
  afterAll(() => pool.close())

  it('hashes with argon2id (OWASP parameters) and verifies right and wrong passwords', async () => {
    const digest = await pool.hash('correct horse battery', ARGON2_OPTIONS)
    expect(digest).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await pool.verify(digest, 'correct horse battery')).toBe(true)
    expect(await pool.verify(digest, 'wrong horse battery')).toBe(false)
  })

  it('queues more jobs than threads and answers each one', async () => {
    const digests = await Promise.all(
      ['a1', 'b2', 'c3', 'd4', 'e5'].map((p) => pool.hash(`pw ${p}`, ARGON2_OPTIONS)),
    )
    expect(new Set(digests).size).toBe(5)
    const checks = await Promise.all(
      digests.map((d, i) => pool.verify(d, `pw ${'abcde'[i]}${i + 1}`)),
    )
    expect(checks).toEqual([true, true, true, true, true])
  })

  it('a malformed digest is an error for that job only', async () => {
    await expect(pool.verify('not a digest', 'x')).rejects.toThrow()
    expect(await pool.verify(await pool.hash('still works', ARGON2_OPTIONS), 'still works')).toBe(
      true,
    )
  })

  it.skipIf(!existsSync('/proc/self/task'))(
    'its threads run at the lowest priority (nice 19), the rest do not',
    () => {
      const nice = threadNiceValues()
      expect(nice.filter((n) => n === 19).length).toBe(2)
      expect(nice.filter((n) => n === 0).length).toBeGreaterThan(0)
    },
  )

  it('resize() lets running jobs finish, then runs with the new number of threads', async () => {
    const resized = new HashPool(3)
    const jobs = ['x', 'y', 'z', 'w'].map((p) => resized.hash(p, ARGON2_OPTIONS))
    resized.resize(1)
    expect((await Promise.all(jobs)).every((d) => d.startsWith('$argon2id$'))).toBe(true)
    expect(resized.size).toBe(1)
    await resized.close()
  })

  it('close() rejects what is still queued', async () => {
    const closing = new HashPool(1)
    const settled = Promise.allSettled([
      closing.hash('one', ARGON2_OPTIONS),
      closing.hash('two', ARGON2_OPTIONS),
    ])
    await closing.close()
    for (const r of await settled) {
      expect(r.status).toBe('rejected')
      expect((r as PromiseRejectedResult).reason.message).toBe('hash pool closed')
    }
  })
})
