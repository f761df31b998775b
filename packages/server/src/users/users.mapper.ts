import {
  type EmailAddressRow,
  type ExternalAccountRow,
  fromDbBool,
  fromDbJson,
  type PasskeyRow,
  type UserRow,
  type VerificationRow,
} from '@latchkey/db'
import {
  enterpriseAccountJSON,
  externalAccountJSON,
  isEnterpriseOidc,
} from '../external-accounts/external-account.render.js'
import { hasImageOf, imageUrlOf } from '../images/image-urls.js'
import { passkeyToJSON } from '../passkeys/passkeys.mapper.js'
import { verificationJSON } from '../verification/verification.render.js'

/** An address proved without a verification of its own: by an operator, or at sign-up. */
const VERIFIED_ELSEWHERE = {
  status: 'verified',
  strategy: 'admin',
  attempts: null,
  expire_at: null,
}

/**
 * An email address in Clerk's shape (`object: 'email_address'`). `verification` is the address's
 * own verification (`/v1/me/email_addresses/{id}/prepare_verification`) when it has one; an
 * address verified otherwise reads Clerk's `admin`, and an unverified one never sent a code
 * reads null.
 */
export function emailToJSON(e: EmailAddressRow, own?: VerificationRow, now = 0) {
  const verified = fromDbBool(e.verified)
  const verification =
    own && (!verified || own.status === 'verified')
      ? verificationJSON(own, now)
      : verified
        ? VERIFIED_ELSEWHERE
        : null
  return {
    id: e.id,
    object: 'email_address' as const,
    email_address: e.email_address,
    reserved: false,
    verification,
    linked_to: [] as unknown[],
    matches_sso_connection: false,
    created_at: e.created_at,
    updated_at: e.updated_at,
  }
}

/** The addresses with their own verifications (rows of the `email_address` slot). */
export function emailsToJSON(emails: EmailAddressRow[], rows: VerificationRow[], now: number) {
  const own = new Map(rows.filter((v) => v.slot === 'email_address').map((v) => [v.owner_id, v]))
  return emails.map((e) => emailToJSON(e, own.get(e.id), now))
}

/** Seconds left on a lockout, or null when the user is not locked out. */
export function lockoutExpiresIn(u: UserRow, now: number): number | null {
  if (fromDbBool(u.locked)) return null
  return u.lockout_until && u.lockout_until > now ? Math.ceil((u.lockout_until - now) / 1000) : null
}

/**
 * Seconds left on any lockout — wrong passwords' or wrong second factors'
 * (second-factor-lockout.ts) — or null: what the Backend API shows as the account's lockout.
 */
function anyLockoutExpiresIn(u: UserRow, now: number): number | null {
  const password = lockoutExpiresIn(u, now)
  const until = u.second_factor_locked_until
  if (fromDbBool(u.locked) || until === null || until <= now) return password
  return Math.max(password ?? 0, Math.ceil((until - now) / 1000))
}

/** Whether the user cannot sign in now: locked by an admin or by repeated failures. */
export function isLocked(u: UserRow, now: number): boolean {
  return fromDbBool(u.locked) || anyLockoutExpiresIn(u, now) !== null
}

/**
 * A user in Clerk's Backend API shape. The Frontend API uses the same mapper with
 * `includePrivate: false`, so `private_metadata` never reaches a browser.
 */
export function userToJSON(
  u: UserRow,
  emails: EmailAddressRow[],
  opts: {
    now: number
    /** The addresses' own verifications. */
    verifications: VerificationRow[]
    /** The user's verified passkeys. */
    passkeys: PasskeyRow[]
    /** The user's accounts at upstream providers (issue #18). */
    externalAccounts?: ExternalAccountRow[]
    includePrivate: boolean
    lockoutAttempts: number
    /** LATCHKEY_URL: where the user's image (or the default avatar) is served. */
    baseUrl: string
    /** The instance's delete-self setting (Clerk's `delete_self_enabled` is per instance). */
    deleteSelfEnabled: boolean
  },
) {
  const imageUrl = imageUrlOf(u, opts.baseUrl)
  return {
    id: u.id,
    object: 'user' as const,
    username: u.username,
    first_name: u.first_name,
    last_name: u.last_name,
    image_url: imageUrl,
    profile_image_url: imageUrl,
    has_image: hasImageOf(u),
    primary_email_address_id: u.primary_email_address_id,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    password_enabled: u.password_digest !== null,
    // Second factors (issue #17): flags kept on the user row, so no join is needed.
    two_factor_enabled: fromDbBool(u.totp_enabled) || fromDbBool(u.backup_code_enabled),
    totp_enabled: fromDbBool(u.totp_enabled),
    backup_code_enabled: fromDbBool(u.backup_code_enabled),
    email_addresses: emailsToJSON(emails, opts.verifications, opts.now),
    phone_numbers: [] as unknown[],
    web3_wallets: [] as unknown[],
    passkeys: opts.passkeys.map((p) => passkeyToJSON(p, undefined, opts.now)),
    external_accounts: (opts.externalAccounts ?? [])
      .filter((a) => !isEnterpriseOidc(a))
      .map(externalAccountJSON),
    saml_accounts: [] as unknown[],
    // Accounts at enterprise OIDC connections (issue #18 item 4). TODO(#18): SAML ones too.
    enterprise_accounts: (opts.externalAccounts ?? [])
      .filter(isEnterpriseOidc)
      .map(enterpriseAccountJSON),
    organization_memberships: [] as unknown[],
    password_last_updated_at: u.password_updated_at,
    public_metadata: fromDbJson(u.public_metadata),
    ...(opts.includePrivate ? { private_metadata: fromDbJson(u.private_metadata) } : {}),
    unsafe_metadata: fromDbJson(u.unsafe_metadata),
    external_id: u.external_id,
    last_sign_in_at: u.last_sign_in_at,
    banned: fromDbBool(u.banned),
    locked: isLocked(u, opts.now),
    deprovisioned: false,
    lockout_expires_in_seconds: anyLockoutExpiresIn(u, opts.now),
    verification_attempts_remaining: Math.max(0, opts.lockoutAttempts - u.failed_attempts),
    delete_self_enabled: opts.deleteSelfEnabled,
    create_organization_enabled: false,
    // The spec's type is integer (0 means unlimited); creation is off anyway.
    create_organizations_limit: 0,
    last_active_at: u.last_active_at,
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    legal_accepted_at: null,
    locale: null,
    created_at: u.created_at,
    updated_at: u.updated_at,
  }
}

export type UserJSON = ReturnType<typeof userToJSON>
