import { ApiError } from '@latchkey/contracts'
import type { VerificationRow } from '@latchkey/db'

/**
 * A verification in Clerk's shape (fapi spec `Stubs.Verification.OTP` / `.Link`). An unverified
 * row past its expiry reads `expired`; the secret is never rendered.
 */
export function verificationJSON(v: VerificationRow, now: number) {
  const status = v.status === 'unverified' && v.expire_at <= now ? 'expired' : v.status
  if (v.strategy === 'passkey') {
    // `Stubs.Verification.Passkey`: the nonce is the WebAuthn request options while they can
    // still be answered.
    return {
      object: 'verification_passkey',
      status,
      strategy: v.strategy,
      attempts: v.attempts,
      expire_at: v.expire_at,
      ...(status === 'unverified' && v.nonce ? { nonce: v.nonce } : {}),
    }
  }
  // `enterprise_sso` / `saml`: the IdP's AuthnRequest redirect, the same shape clerk-js follows.
  const oauth =
    v.strategy.startsWith('oauth_') || v.strategy === 'enterprise_sso' || v.strategy === 'saml'
  return {
    object: oauth
      ? 'verification_oauth'
      : v.strategy === 'email_link'
        ? 'verification_email_link'
        : 'verification_otp',
    status,
    strategy: v.strategy,
    attempts: v.attempts,
    expire_at: v.expire_at,
    // `oauth_*`: the provider's authorize URL, while the redirect may still be followed.
    external_verification_redirect_url: oauth && status === 'unverified' ? v.redirect_url : null,
    // Clerk's reason for a transfer: the sign-up's account exists, the sign-in's does not.
    error: oauth && status === 'transferable' ? transferError(v.owner_id.startsWith('sua_')) : null,
    ...(v.strategy === 'email_link' ? { verified_at_client: v.verified_at_client } : {}),
  }
}

/** A password first factor, proved in the call that completed the sign-in (no row is kept). */
export const PASSWORD_VERIFIED = {
  object: 'verification_password',
  status: 'verified',
  strategy: 'password',
  attempts: null,
  expire_at: null,
  external_verification_redirect_url: null,
  error: null,
} as const

/**
 * A sign-up's `verifications.email_address`: Clerk adds what comes next (`needs_prepare` before a
 * code or link was sent, `needs_attempt` after, `''` once proved) and the strategies on offer.
 */
export function signUpEmailVerificationJSON(
  v: VerificationRow | undefined,
  supported: string[],
  now: number,
) {
  if (!v) {
    return {
      object: 'verification_otp',
      status: 'unverified',
      strategy: null,
      attempts: null,
      expire_at: null,
      external_verification_redirect_url: null,
      error: null,
      next_action: 'needs_prepare',
      supported_strategies: supported,
    }
  }
  const json = verificationJSON(v, now)
  return {
    ...json,
    next_action: json.status === 'verified' ? '' : 'needs_attempt',
    supported_strategies: supported,
  }
}

function transferError(exists: boolean) {
  const e = ApiError.of(exists ? 'external_account_exists' : 'external_account_not_found')
  return e.toJSON().errors[0] ?? null
}
