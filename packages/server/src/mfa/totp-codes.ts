import { Secret, TOTP } from 'otpauth'

/** Clerk's TOTP parameters (RFC 6238): SHA-1, 6 digits, 30-second steps. */
const PERIOD_S = 30
const PARAMS = { algorithm: 'SHA1', digits: 6, period: PERIOD_S } as const

/** A new secret: 20 random bytes (RFC 4226's recommended 160 bits), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The `otpauth://totp/…` URI an authenticator app reads (the QR code's content). */
export function totpUri(secret: string, issuer: string, label: string): string {
  return new TOTP({ ...PARAMS, issuer, label, secret: Secret.fromBase32(secret) }).toString()
}

/**
 * The time step `code` belongs to, within one step either side of `now` (clock drift), or null
 * when it is no code of this secret.
 */
export function totpStepOf(secret: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const totp = new TOTP({ ...PARAMS, secret: Secret.fromBase32(secret) })
  const delta = totp.validate({ token: code, timestamp: now, window: 1 })
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_S) + delta
}
