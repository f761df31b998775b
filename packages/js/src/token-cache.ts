/**
 * Session tokens in memory, the way a tab needs them: each one cached for its life, renewed in the
 * background shortly before it expires while it is still being read, and never fetched twice at
 * once. Time comes from `Date.now` and `setTimeout`, so a fake clock drives it in tests.
 */

/** Fetches a fresh token for a key, or `null` when there is none (signed out). */
export type TokenFetcher = (key: string) => Promise<string | null>

export type TokenCacheOptions = {
  /** A cached token is handed out only while it has at least this long to live. */
  minRemainingMs?: number
  /** A token still in use is renewed this long before it expires. */
  refreshLeadMs?: number
  /** Keys renewed in the background even when nobody read them (the `__session` cookie's). */
  keepFresh?: (key: string) => boolean
  /** Called with each token fetched in the background (e.g. to update the `__session` cookie). */
  onRefresh?: (key: string, token: string) => void
  /** Called when a background refresh fails; the next read fetches again. */
  onError?: (key: string, error: unknown) => void
}

type Entry = {
  token: string
  /** Expiry in ms since the epoch, from the token's `exp`. */
  expiresAt: number
  /** Whether the token was read since it was fetched: only tokens in use are renewed. */
  read: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

const DEFAULTS = { minRemainingMs: 10_000, refreshLeadMs: 15_000 }

/** A JWT's claims, decoded but not verified (the server verifies; the browser only reads). */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1]
  if (!payload) return undefined
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) =>
      c.charCodeAt(0),
    )
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return json && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** The `exp` of a JWT in milliseconds, or `undefined` when it cannot be read. */
export function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp
  return typeof exp === 'number' ? exp * 1000 : undefined
}

export class TokenCache {
  readonly #fetch: TokenFetcher
  readonly #opts: Required<Omit<TokenCacheOptions, 'onRefresh' | 'onError' | 'keepFresh'>> &
    TokenCacheOptions
  readonly #entries = new Map<string, Entry>()
  readonly #inFlight = new Map<string, Promise<string | null>>()
  /** Bumped by `clear()`: a fetch started before it must not repopulate the cache. */
  #generation = 0

  constructor(fetch: TokenFetcher, options: TokenCacheOptions = {}) {
    this.#fetch = fetch
    this.#opts = { ...DEFAULTS, ...options }
  }

  /**
   * The token for `key`: the cached one while it has time left, else a fetch shared with every
   * concurrent caller. `skipCache` ignores the cached token (it still joins a fetch under way).
   */
  get(key: string, { skipCache = false }: { skipCache?: boolean } = {}): Promise<string | null> {
    const entry = this.#entries.get(key)
    if (!skipCache && entry && entry.expiresAt - Date.now() >= this.#opts.minRemainingMs) {
      entry.read = true
      return Promise.resolve(entry.token)
    }
    return this.#load(key, true)
  }

  /** Forgets every token and pending renewal (sign-out, session switch). */
  clear(): void {
    this.#generation++
    for (const e of this.#entries.values()) clearTimeout(e.timer)
    this.#entries.clear()
    this.#inFlight.clear()
  }

  /** Keys with a cached token (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size
  }

  #load(key: string, read: boolean): Promise<string | null> {
    const pending = this.#inFlight.get(key)
    if (pending) {
      if (read)
        pending.then(
          () => this.#markRead(key),
          () => {},
        )
      return pending
    }
    const generation = this.#generation
    const p = this.#fetch(key).then(
      (token) => {
        if (generation !== this.#generation) return token
        this.#inFlight.delete(key)
        this.#store(key, token, read)
        return token
      },
      (err: unknown) => {
        if (generation === this.#generation) this.#inFlight.delete(key)
        throw err
      },
    )
    this.#inFlight.set(key, p)
    return p
  }

  #markRead(key: string): void {
    const e = this.#entries.get(key)
    if (e) e.read = true
  }

  #store(key: string, token: string | null, read: boolean): void {
    const old = this.#entries.get(key)
    if (old) clearTimeout(old.timer)
    this.#entries.delete(key)
    const expiresAt = token ? jwtExpiry(token) : undefined
    if (!token || expiresAt === undefined) return
    const entry: Entry = { token, expiresAt, read, timer: undefined }
    const delay = expiresAt - Date.now() - this.#opts.refreshLeadMs
    if (delay > 0) entry.timer = setTimeout(() => this.#renew(key, entry), delay)
    this.#entries.set(key, entry)
  }

  /** Renews a token before it expires if someone read it; otherwise lets it lapse. */
  #renew(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return
    if (!entry.read && !this.#opts.keepFresh?.(key)) {
      this.#entries.delete(key)
      return
    }
    this.#load(key, false).then(
      (token) => {
        if (token) this.#opts.onRefresh?.(key, token)
      },
      (err: unknown) => {
        this.#entries.delete(key)
        this.#opts.onError?.(key, err)
      },
    )
  }
}
