import { type EnterpriseConnectionRow, fromDbBool } from '@latchkey/db'
import { domainsOf } from './enterprise-connections.service.js'
import { spUrls } from './saml-sp.js'

/**
 * A connection, SAML or OpenID Connect, in Clerk's Backend API shape (bapi spec
 * `EnterpriseConnection`): `saml_connection` for SAML, `oauth_config` for OIDC (the client
 * secret never leaves the server). Latchkey adds `allow_subdomains` and `oauth_config.scopes`.
 */
export function enterpriseConnectionJSON(row: EnterpriseConnectionRow, baseUrl: string) {
  const active = fromDbBool(row.active)
  const allowSubdomains = fromDbBool(row.allow_subdomains)
  const saml = row.protocol === 'saml'
  const configured = saml
    ? Boolean(row.idp_entity_id && row.idp_sso_url && row.idp_certificate)
    : Boolean(row.oidc_issuer && row.oidc_client_id && row.oidc_client_secret_sealed)
  const urls = spUrls(baseUrl, row.id)
  return {
    object: 'enterprise_connection' as const,
    id: row.id,
    name: row.name,
    provider: row.provider,
    logo_public_url: null,
    active,
    domains: domainsOf(row),
    organization_id: null,
    sync_user_attributes: fromDbBool(row.sync_user_attributes),
    disable_additional_identifications: false,
    allow_organization_account_linking: false,
    custom_attributes: [] as unknown[],
    authenticatable: active && configured,
    disable_jit_provisioning: false,
    allow_subdomains: allowSubdomains,
    saml_connection: saml
      ? {
          id: row.id,
          name: row.name,
          idp_entity_id: row.idp_entity_id,
          idp_sso_url: row.idp_sso_url,
          idp_metadata_url: row.idp_metadata_url,
          acs_url: urls.acsUrl,
          sp_entity_id: urls.spEntityId,
          sp_metadata_url: urls.spMetadataUrl,
          active,
          allow_idp_initiated: fromDbBool(row.allow_idp_initiated),
          allow_subdomains: allowSubdomains,
          force_authn: false,
          login_hint: { mode: 'off' as const },
        }
      : null,
    oauth_config: saml
      ? null
      : {
          id: row.id,
          name: row.name,
          provider_key: row.provider,
          client_id: row.oidc_client_id,
          discovery_url: row.oidc_issuer,
          auth_url: null,
          token_url: null,
          user_info_url: null,
          requires_pkce: true,
          scopes: row.oidc_scopes,
          logo_public_url: null,
          created_at: row.created_at,
          updated_at: row.updated_at,
        },
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}
