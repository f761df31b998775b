import { X509Certificate } from 'node:crypto'
import { type EnterpriseConnectionRow, fromDbBool } from '@latchkey/db'
import { domainsOf, mappingOf } from './enterprise-connections.service.js'
import { spUrls } from './saml-sp.js'

/** A SAML connection in Clerk's Backend API shape (bapi spec `SAMLConnection`). */
export function samlConnectionJSON(
  row: EnterpriseConnectionRow,
  baseUrl: string,
  userCount: number,
) {
  const urls = spUrls(baseUrl, row.id)
  const domains = domainsOf(row)
  const cert = row.idp_certificate ? certificateDates(row.idp_certificate) : null
  return {
    object: 'saml_connection' as const,
    id: row.id,
    name: row.name,
    domain: domains[0] ?? '',
    domains,
    idp_entity_id: row.idp_entity_id,
    idp_sso_url: row.idp_sso_url,
    idp_certificate: row.idp_certificate,
    idp_certificate_issued_at: cert?.issuedAt ?? null,
    idp_certificate_expires_at: cert?.expiresAt ?? null,
    idp_metadata_url: row.idp_metadata_url,
    idp_metadata: row.idp_metadata,
    acs_url: urls.acsUrl,
    sp_entity_id: urls.spEntityId,
    sp_metadata_url: urls.spMetadataUrl,
    organization_id: null,
    attribute_mapping: mappingOf(row),
    active: fromDbBool(row.active),
    provider: row.provider,
    user_count: userCount,
    sync_user_attributes: fromDbBool(row.sync_user_attributes),
    allow_subdomains: fromDbBool(row.allow_subdomains),
    allow_idp_initiated: fromDbBool(row.allow_idp_initiated),
    disable_additional_identifications: false,
    allow_organization_account_linking: false,
    force_authn: false,
    login_hint: null,
    enterprise_connection_id: row.id,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

function certificateDates(pem: string): { issuedAt: number; expiresAt: number } | null {
  try {
    // Connections created from metadata before it was stored as PEM hold bare base64 (DER).
    const c = new X509Certificate(pem.includes('-----BEGIN') ? pem : Buffer.from(pem, 'base64'))
    return { issuedAt: Date.parse(c.validFrom), expiresAt: Date.parse(c.validTo) }
  } catch {
    return null
  }
}
