import type { PasskeyRow, VerificationRow } from '@latchkey/db'
import { VERIFICATION_TTL_MS } from '../verification/secrets.js'

/**
 * Clerk's `passkey` resource (fapi spec `Client.Passkey`). `verification.nonce` carries the
 * WebAuthn creation options (JSON) while the passkey waits for its authenticator's answer.
 */
export function passkeyToJSON(p: PasskeyRow, v: VerificationRow | undefined, now: number) {
  const verified = Number(p.verified) === 1
  const status = verified
    ? 'verified'
    : v && v.status === 'unverified' && v.expire_at <= now
      ? 'expired'
      : (v?.status ?? 'unverified')
  return {
    object: 'passkey' as const,
    id: p.id,
    name: p.name,
    last_used_at: p.last_used_at,
    verification: {
      object: 'verification_passkey' as const,
      status,
      strategy: 'passkey' as const,
      attempts: v?.attempts ?? null,
      // The registration's challenge expired then (made with the passkey, in the same call).
      expire_at: v?.expire_at ?? p.created_at + VERIFICATION_TTL_MS,
      ...(!verified && v?.nonce ? { nonce: v.nonce } : {}),
    },
    created_at: p.created_at,
    updated_at: p.updated_at,
  }
}

export type PasskeyJSON = ReturnType<typeof passkeyToJSON>
