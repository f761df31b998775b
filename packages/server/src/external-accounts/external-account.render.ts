import { type ExternalAccountRow, fromDbBool } from '@latchkey/db'

/** Clerk's `ExternalAccount` (fapi spec `ExternalAccountWithVerification`). */
export function externalAccountJSON(a: ExternalAccountRow) {
  return {
    object: 'external_account' as const,
    id: a.id,
    provider: `oauth_${a.provider}`,
    identification_id: a.id,
    provider_user_id: a.provider_user_id,
    approved_scopes: a.approved_scopes,
    email_address: a.email_address ?? '',
    email_address_verified: a.email_verified === null ? null : fromDbBool(a.email_verified),
    first_name: a.first_name ?? '',
    last_name: a.last_name ?? '',
    avatar_url: a.image_url ?? '',
    image_url: a.image_url ?? '',
    username: a.username,
    phone_number: null,
    public_metadata: {},
    label: null,
    created_at: a.created_at,
    updated_at: a.updated_at,
    verification: {
      object: 'verification_oauth' as const,
      status: 'verified' as const,
      strategy: `oauth_${a.provider}`,
      attempts: null,
      expire_at: null,
      external_verification_redirect_url: null,
      error: null,
    },
  }
}
