import { createHash } from 'node:crypto'

/**
 * Session tokens this process minted for the Frontend API in the last few seconds, so that
 * rendering a client (`last_active_token` on each active session) reuses one instead of signing
 * on every render. An entry is found only for the same session and the same requesting origin
 * (`azp`), and only while the claims it was signed over are still exactly the claims a new
 * token would carry (`fingerprint`: every claim but the time-dependent `iat nbf exp jti fva`).
 * A changed user, custom claim or instance setting therefore mints afresh; the caller never
 * asks for a session that is not active.
 *
 * Entries are in insertion order, which is minting order: stale ones are dropped from the front
 * on every insert, and the map never holds more than {@link MAX_ENTRIES}. An entry keeps the
 * SHA-256 of its fingerprint, not the claims themselves (custom claims may be kilobytes), so a
 * full map stays near its tokens' own size.
 */
type Entry = { jwt: string; digest: string; mintedAt: number }

const MAX_ENTRIES = 100_000

export class RecentTokens {
  readonly #entries = new Map<string, Entry>()
  readonly #maxAgeMs: number

  /** `maxAgeMs`: how old a token may be and still be handed out again. */
  constructor(maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs
  }

  /** The token minted for this session and origin over the same claims, if it is fresh enough. */
  find(
    sessionId: string,
    origin: string | undefined,
    fingerprint: string,
    now: number,
  ): string | undefined {
    const e = this.#entries.get(keyOf(sessionId, origin))
    if (!e || e.digest !== digestOf(fingerprint)) return undefined
    const age = now - e.mintedAt
    return age >= 0 && age <= this.#maxAgeMs ? e.jwt : undefined
  }

  remember(
    sessionId: string,
    origin: string | undefined,
    fingerprint: string,
    jwt: string,
    now: number,
  ): void {
    const key = keyOf(sessionId, origin)
    this.#entries.delete(key)
    this.#entries.set(key, { jwt, digest: digestOf(fingerprint), mintedAt: now })
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= MAX_ENTRIES && now - e.mintedAt <= this.#maxAgeMs) break
      this.#entries.delete(k)
    }
  }

  get size(): number {
    return this.#entries.size
  }
}

const digestOf = (fingerprint: string) =>
  createHash('sha256').update(fingerprint).digest('base64url')

/** Session ids never contain a space; an origin is a URL origin or nothing. */
const keyOf = (sessionId: string, origin: string | undefined) => `${sessionId} ${origin ?? ''}`
