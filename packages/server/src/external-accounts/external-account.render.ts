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

/** Accounts at an enterprise OpenID Connect connection (its id is the account's provider). */
export const isEnterpriseOidc = (a: ExternalAccountRow) => a.provider.startsWith('entc_')

/**
 * Clerk's `EnterpriseAccount` (bapi spec) of an account at an enterprise OpenID Connect
 * connection. `provider` is the connection's: `oidc_custom`, the one OIDC provider Latchkey
 * takes (enterprise-oidc.service.ts `OIDC_PROVIDERS`).
 */
export function enterpriseAccountJSON(a: ExternalAccountRow) {
  return {
    object: 'enterprise_account' as const,
    id: a.id,
    protocol: 'oauth' as const,
    provider: 'oidc_custom',
    active: true,
    email_address: a.email_address ?? '',
    first_name: a.first_name,
    last_name: a.last_name,
    provider_user_id: a.provider_user_id,
    enterprise_connection_id: a.provider,
    public_metadata: {},
    verification: {
      object: 'verification_oauth' as const,
      status: 'verified' as const,
      strategy: 'enterprise_sso',
      attempts: null,
      expire_at: null,
      external_verification_redirect_url: null,
      error: null,
    },
    enterprise_connection: null,
    last_authenticated_at: a.updated_at,
  }
}
