import type { Buffer } from 'node:buffer'
import { createHmac, randomInt } from 'node:crypto'
import type { SecretBox } from '../lib/crypto.js'
import { safeEqual } from '../lib/crypto.js'

/** Codes and links live 10 minutes, as Clerk's. */
export const VERIFICATION_TTL_MS = 10 * 60 * 1000
/** Wrong answers a code verification takes before it fails (Clerk allows a few). */
export const MAX_ATTEMPTS = 3

/** A 6-digit code, uniformly drawn from the CSPRNG (leading zeros kept). */
export function newCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0')
}

/**
 * The stored form of a code or link token: HMAC-SHA-256 under a key derived from the instance's
 * encryption key, bound to the verification's id. A database reader cannot test the million
 * possible codes offline, and a hash copied to another row does not match there.
 */
export class VerificationSecrets {
  readonly #key: Buffer

  constructor(box: SecretBox) {
    this.#key = box.derive('latchkey verification secrets v1')
  }

  hash(verificationId: string, secret: string): string {
    return createHmac('sha256', this.#key)
      .update(`${verificationId}\u0000${secret}`, 'utf8')
      .digest('base64url')
  }

  /** Constant-time comparison of a candidate with the stored HMAC. */
  matches(verificationId: string, candidate: string, stored: string | null): boolean {
    if (stored === null) return false
    return safeEqual(this.hash(verificationId, candidate), stored)
  }

  /** A link token's lookup hash (links are found by token, so not bound to an id). */
  lookup(token: string): string {
    return this.hash('link', token)
  }
}
