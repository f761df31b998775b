import { newId } from '@latchkey/contracts'
import type { VerificationRow } from '@latchkey/db'
import { VERIFICATION_TTL_MS, type VerificationSecrets } from './secrets.js'

/**
 * A WebAuthn challenge as a verification row: unverified, expiring in 10 minutes, single use;
 * the challenge kept as its HMAC (for the compare) and the options as the `nonce` the browser
 * reads. Nothing is sent, so there is no `sent_at` (no resend cooldown applies).
 */
export function challengeRow(
  secrets: VerificationSecrets,
  ownerId: string,
  slot: 'passkey' | 'first_factor',
  options: { challenge: string },
  now: number,
  clientId: string | null = null,
): VerificationRow {
  const id = newId('verification')
  return {
    id,
    owner_id: ownerId,
    slot,
    strategy: 'passkey',
    status: 'unverified',
    secret_hash: secrets.hash(id, options.challenge),
    attempts: 0,
    email_address: null,
    email_address_id: null,
    client_id: clientId,
    redirect_url: null,
    verified_at_client: null,
    sent_at: null,
    verified_at: null,
    expire_at: now + VERIFICATION_TTL_MS,
    created_at: now,
    updated_at: now,
    nonce: JSON.stringify(options),
  }
}
