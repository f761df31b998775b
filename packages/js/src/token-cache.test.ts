import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { jwtExpiry, TokenCache } from './token-cache.js'

const b64url = (o: unknown) =>
  btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
/** An unsigned JWT that expires `lifeS` seconds from the (fake) now; the cache only reads `exp`. */
const jwt = (lifeS: number, n: number) =>
  `${b64url({ alg: 'RS256' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + lifeS, n })}.sig`

/** A fetcher that counts calls and answers after `delayMs` of (fake) time. */
function fetcher(opts: { lifeS?: number; delayMs?: number } = {}) {
  let calls = 0
  const fn = vi.fn(async (_key: string) => {
    calls++
    const n = calls
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs))
    return jwt(opts.lifeS ?? 60, n)
  })
  return { fn, calls: () => calls }
}
const nOf = (token: string | null) => JSON.parse(atob(token!.split('.')[1]!)).n as number

describe('TokenCache (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('reads exp from a JWT, and nothing from garbage', () => {
    expect(jwtExpiry(jwt(60, 1))).toBe(Date.now() + 60_000)
    expect(jwtExpiry('not-a-jwt')).toBeUndefined()
    expect(jwtExpiry('a.%%%.c')).toBeUndefined()
  })

  it('serves a cached token for its life and fetches again only when it has < 10 s left', async () => {
    const f = fetcher()
    const cache = new TokenCache(f.fn)
    const first = await cache.get('s')
    await vi.advanceTimersByTimeAsync(30_000)
    expect(await cache.get('s')).toBe(first)
    expect(f.calls()).toBe(1)
    // The background renewal is due at exp − 15 s = 45 s; nobody read since the last fetch at
    // 0 s? We read at 30 s, so it renews.
    await vi.advanceTimersByTimeAsync(15_000)
    expect(f.calls()).toBe(2)
    expect(nOf(await cache.get('s'))).toBe(2)
  })

  it('shares one request between concurrent callers', async () => {
    const f = fetcher({ delayMs: 200 })
    const cache = new TokenCache(f.fn)
    const all = Promise.all([cache.get('s'), cache.get('s'), cache.get('s', { skipCache: true })])
    await vi.advanceTimersByTimeAsync(200)
    const [a, b, c] = await all
    expect(f.calls()).toBe(1)
    expect(a).toBe(b)
    expect(b).toBe(c)
  })

  it('keys are independent: a template token is fetched separately', async () => {
    const f = fetcher()
    const cache = new TokenCache(f.fn)
    await cache.get('s')
    await cache.get('s\u0000convex')
    expect(f.fn.mock.calls.map((c) => c[0])).toEqual(['s', 's\u0000convex'])
  })

  it('skipCache fetches a new token even while the cached one is good', async () => {
    const f = fetcher()
    const cache = new TokenCache(f.fn)
    const first = await cache.get('s')
    const second = await cache.get('s', { skipCache: true })
    expect(second).not.toBe(first)
    expect(f.calls()).toBe(2)
    expect(await cache.get('s')).toBe(second)
  })

  it('renews a token 15 s before expiry while it is read, and lets an unread one lapse', async () => {
    const onRefresh = vi.fn()
    const f = fetcher()
    const cache = new TokenCache(f.fn, { onRefresh })
    // The fetching call counts as a read: both tokens are renewed once, at exactly exp − 15 s.
    await cache.get('polled')
    await cache.get('once')
    await vi.advanceTimersByTimeAsync(44_999)
    expect(f.calls()).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(f.calls()).toBe(4)
    expect(onRefresh).toHaveBeenCalledWith('polled', expect.any(String))
    // Only 'polled' is read again; at the next renewal time 'once' lapses instead of renewing.
    await vi.advanceTimersByTimeAsync(15_000)
    expect(nOf(await cache.get('polled'))).toBe(3)
    await vi.advanceTimersByTimeAsync(30_000)
    expect(f.calls()).toBe(5)
    expect(f.fn.mock.calls[4]?.[0]).toBe('polled')
    expect(cache.size).toBe(1)
  })

  it('keepFresh keys are renewed even unread (the __session cookie’s token)', async () => {
    const f = fetcher()
    const cache = new TokenCache(f.fn, { keepFresh: (k) => k === 'default' })
    await cache.get('default')
    await vi.advanceTimersByTimeAsync(45_000 * 3)
    expect(f.calls()).toBe(4) // at 0 s, 45 s, 90 s, 135 s
  })

  it('a token with less than the minimum left is never handed out', async () => {
    const f = fetcher({ lifeS: 8 })
    const cache = new TokenCache(f.fn)
    await cache.get('s')
    await cache.get('s')
    expect(f.calls()).toBe(2)
  })

  it('clear() forgets tokens, cancels renewals, and a fetch in flight does not repopulate', async () => {
    const f = fetcher({ delayMs: 100 })
    const cache = new TokenCache(f.fn)
    const p = cache.get('s')
    cache.clear()
    await vi.advanceTimersByTimeAsync(100)
    await p
    expect(cache.size).toBe(0)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(f.calls()).toBe(1)
  })

  it('a failed fetch is not cached: the next call tries again; a failed renewal drops the token', async () => {
    let fail = true
    const onError = vi.fn()
    const cache = new TokenCache(
      async () => {
        if (fail) throw new Error('offline')
        return jwt(60, 1)
      },
      { onError, keepFresh: () => true },
    )
    await expect(cache.get('s')).rejects.toThrow('offline')
    fail = false
    expect(await cache.get('s')).toBeTruthy()
    fail = true
    await vi.advanceTimersByTimeAsync(45_000)
    expect(onError).toHaveBeenCalledOnce()
    expect(cache.size).toBe(0)
  })

  it('null (signed out) is returned and not cached', async () => {
    const fn = vi.fn(async () => null)
    const cache = new TokenCache(fn)
    expect(await cache.get('s')).toBeNull()
    expect(await cache.get('s')).toBeNull()
    expect(fn).toHaveBeenCalledTimes(2)
  })
})
