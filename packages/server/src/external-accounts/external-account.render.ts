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

/** Accounts at an enterprise connection (OpenID Connect or SAML): its id is the account's provider. */
export const isEnterpriseAccount = (a: ExternalAccountRow) =>
  a.provider.startsWith('entc_') || a.provider.startsWith('samlc_')
const isSaml = (a: ExternalAccountRow) => a.provider.startsWith('samlc_')

const enterpriseVerification = (strategy: 'enterprise_sso' | 'saml', object: string) => ({
  object,
  status: 'verified' as const,
  strategy,
  attempts: null,
  expire_at: null,
  external_verification_redirect_url: null,
  error: null,
})

/**
 * Clerk's `EnterpriseAccount` (bapi spec) of an account at an enterprise connection. `provider`
 * is the connection's kind: `oidc_custom` (the one OIDC provider Latchkey takes,
 * enterprise-oidc.service.ts `OIDC_PROVIDERS`) or, for SAML, `saml_custom` — the row keeps the
 * connection's id, not which IdP product it is (Okta, Entra ID…).
 */
export function enterpriseAccountJSON(a: ExternalAccountRow) {
  const saml = isSaml(a)
  return {
    object: 'enterprise_account' as const,
    id: a.id,
    protocol: saml ? ('saml' as const) : ('oauth' as const),
    provider: saml ? 'saml_custom' : 'oidc_custom',
    active: true,
    email_address: a.email_address ?? '',
    first_name: a.first_name,
    last_name: a.last_name,
    provider_user_id: a.provider_user_id,
    enterprise_connection_id: a.provider,
    public_metadata: {},
    verification: enterpriseVerification(
      'enterprise_sso',
      saml ? 'verification_saml' : 'verification_oauth',
    ),
    enterprise_connection: null,
    last_authenticated_at: a.updated_at,
  }
}

/** Clerk's `SAMLAccount` (bapi spec), the older list of accounts at SAML connections. */
export function samlAccountJSON(a: ExternalAccountRow) {
  return {
    object: 'saml_account' as const,
    id: a.id,
    provider: 'saml_custom',
    active: true,
    email_address: a.email_address ?? '',
    first_name: a.first_name,
    last_name: a.last_name,
    provider_user_id: a.provider_user_id,
    last_authenticated_at: a.updated_at,
    public_metadata: {},
    verification: enterpriseVerification('saml', 'verification_saml'),
    saml_connection: null,
  }
}

/** The user's accounts as Clerk's user resource lists them: social, SAML, enterprise. */
export function accountListsJSON(accounts: ExternalAccountRow[]) {
  return {
    external_accounts: accounts.filter((a) => !isEnterpriseAccount(a)).map(externalAccountJSON),
    saml_accounts: accounts.filter(isSaml).map(samlAccountJSON),
    enterprise_accounts: accounts.filter(isEnterpriseAccount).map(enterpriseAccountJSON),
  }
}
