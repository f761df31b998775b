import { X509Certificate } from 'node:crypto'
import { ApiError, newId } from '@latchkey/contracts'
import { type EnterpriseConnectionRow, fromDbBool, toDbBool } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { AddressPolicy } from '../webhooks/endpoint-address.js'
import { enterpriseConnectionJSON } from './enterprise-connection.render.js'
import * as repo from './enterprise-connections.repository.js'
import { parseIdpMetadata } from './idp-metadata.js'
import { fetchIdpMetadata, metadataUrlProblem } from './idp-metadata-fetch.js'
import { samlConnectionJSON } from './saml-connection.render.js'

export const SAML_PROVIDERS = ['saml_custom', 'saml_okta', 'saml_google', 'saml_microsoft'] as const

/** Clerk's `attribute_mapping`: which SAML attribute carries each user field. */
export type AttributeMapping = {
  user_id: string
  email_address: string
  first_name: string
  last_name: string
}
/** Clerk's defaults; an empty `user_id` means the NameID. */
export const DEFAULT_MAPPING: AttributeMapping = {
  user_id: '',
  email_address: 'mail',
  first_name: 'firstName',
  last_name: 'lastName',
}

export type SamlConnectionInput = {
  name?: string | undefined
  domains?: string[] | undefined
  provider?: string | undefined
  idpEntityId?: string | null | undefined
  idpSsoUrl?: string | null | undefined
  idpCertificate?: string | null | undefined
  idpMetadataUrl?: string | null | undefined
  idpMetadata?: string | null | undefined
  attributeMapping?: Partial<AttributeMapping> | null | undefined
  active?: boolean | undefined
  allowSubdomains?: boolean | undefined
  allowIdpInitiated?: boolean | undefined
  syncUserAttributes?: boolean | undefined
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

/**
 * Enterprise connections (issue #18 item 4): SAML (and OIDC) identity providers bound to email
 * domains. A connection is authoritative for its domains only: the address it asserts must be in
 * them. Clerk's Backend API shapes (`saml_connections`).
 */
export class EnterpriseConnectionsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  list(protocol?: 'saml' | 'oidc'): Promise<EnterpriseConnectionRow[]> {
    return repo.listConnections(this.d.db, protocol)
  }

  async get(id: string, protocol?: 'saml' | 'oidc'): Promise<EnterpriseConnectionRow> {
    const row = await repo.findConnection(this.d.db, id)
    if (!row || (protocol && row.protocol !== protocol))
      throw ApiError.of('resource_not_found', { longMessage: `No connection ${id}.` })
    return row
  }

  find(id: string): Promise<EnterpriseConnectionRow | undefined> {
    return repo.findConnection(this.d.db, id)
  }

  /** Whether any connection is active (the environment's `enterprise_sso.enabled`). */
  async anyActive(): Promise<boolean> {
    return (await this.list()).some((r) => fromDbBool(r.active))
  }

  /**
   * The active connection whose domains cover the email address's domain (a subdomain only when
   * the connection allows subdomains), or undefined.
   */
  async forEmail(email: string): Promise<EnterpriseConnectionRow | undefined> {
    const domain = domainOf(email)
    if (!domain) return undefined
    const rows = (await this.list()).filter((r) => fromDbBool(r.active))
    return rows.find((r) => covers(r, domain))
  }

  /** Whether an active connection covers any of the addresses ({@link forEmail}, one read). */
  async coversAny(emails: readonly string[]): Promise<boolean> {
    const domains = emails.flatMap((e) => domainOf(e) ?? [])
    if (domains.length === 0) return false
    const rows = (await this.list()).filter((r) => fromDbBool(r.active))
    return domains.some((domain) => rows.some((r) => covers(r, domain)))
  }

  /**
   * A callback's asserted address must be one the active connection `row` itself owns: the
   * connection {@link forEmail} chooses for it, so no IdP signs in another connection's users.
   */
  async assertOwns(row: EnterpriseConnectionRow, email: string): Promise<void> {
    const domain = domainOf(email)
    if (!domain || !covers(row, domain) || (await this.forEmail(email))?.id !== row.id)
      throw ApiError.of('saml_email_address_domain_mismatch')
  }

  userCount(row: EnterpriseConnectionRow): Promise<number> {
    return repo.countUsers(this.d.db, row.id)
  }

  /** The connection as `/v1/enterprise_connections` shows it. */
  json(row: EnterpriseConnectionRow) {
    return enterpriseConnectionJSON(row, this.d.config.url)
  }

  /** The connection as `/v1/saml_connections` shows it. */
  async samlJSON(row: EnterpriseConnectionRow) {
    return samlConnectionJSON(row, this.d.config.url, await this.userCount(row))
  }

  async createSaml(input: SamlConnectionInput): Promise<EnterpriseConnectionRow> {
    if (!input.name) throw ApiError.of('form_param_missing', { meta: { param_name: 'name' } })
    const provider = input.provider ?? ''
    if (!(SAML_PROVIDERS as readonly string[]).includes(provider))
      throw invalid('provider', SAML_PROVIDERS.join(', '))
    const domains = checkDomains(input.domains)
    const now = this.d.clock.now()
    const row: EnterpriseConnectionRow = {
      id: newId('samlConnection'),
      protocol: 'saml',
      provider,
      name: input.name,
      domains: JSON.stringify(domains),
      active: toDbBool(input.active ?? false),
      allow_subdomains: toDbBool(input.allowSubdomains ?? false),
      allow_idp_initiated: toDbBool(input.allowIdpInitiated ?? false),
      sync_user_attributes: toDbBool(input.syncUserAttributes ?? true),
      idp_entity_id: null,
      idp_sso_url: null,
      idp_certificate: null,
      idp_metadata_url: null,
      idp_metadata: null,
      attribute_mapping: JSON.stringify({ ...DEFAULT_MAPPING, ...(input.attributeMapping ?? {}) }),
      oidc_issuer: null,
      oidc_client_id: null,
      oidc_client_secret_sealed: null,
      oidc_scopes: null,
      created_at: now,
      updated_at: now,
    }
    const next = await this.applyIdp(row, input)
    await this.assertDomainsFree(next)
    await repo.insertConnection(this.d.db, next)
    return next
  }

  async updateSaml(id: string, input: SamlConnectionInput): Promise<EnterpriseConnectionRow> {
    const row = await this.get(id, 'saml')
    const mapping = { ...mappingOf(row), ...(input.attributeMapping ?? {}) }
    let next: EnterpriseConnectionRow = {
      ...row,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.domains !== undefined
        ? { domains: JSON.stringify(checkDomains(input.domains)) }
        : {}),
      ...(input.active !== undefined ? { active: toDbBool(input.active) } : {}),
      ...(input.allowSubdomains !== undefined
        ? { allow_subdomains: toDbBool(input.allowSubdomains) }
        : {}),
      ...(input.allowIdpInitiated !== undefined
        ? { allow_idp_initiated: toDbBool(input.allowIdpInitiated) }
        : {}),
      ...(input.syncUserAttributes !== undefined
        ? { sync_user_attributes: toDbBool(input.syncUserAttributes) }
        : {}),
      attribute_mapping: JSON.stringify(mapping),
      updated_at: Math.max(this.d.clock.now(), row.updated_at + 1),
    }
    next = await this.applyIdp(next, input)
    await this.assertDomainsFree(next)
    const { id: _, created_at: __, protocol: ___, ...patch } = next
    await repo.updateConnection(this.d.db, id, patch)
    return next
  }

  async delete(id: string, protocol?: 'saml' | 'oidc'): Promise<void> {
    await this.get(id, protocol)
    await repo.deleteConnection(this.d.db, id)
  }

  /**
   * The IdP's entity id, SSO URL and certificate, given directly or read from its metadata
   * (a document, or a URL fetched now). An active connection must have all three.
   */
  private async applyIdp(
    row: EnterpriseConnectionRow,
    input: SamlConnectionInput,
  ): Promise<EnterpriseConnectionRow> {
    const next = { ...row }
    if (input.idpMetadataUrl !== undefined) next.idp_metadata_url = input.idpMetadataUrl
    let metadata = input.idpMetadata
    if (input.idpMetadataUrl)
      metadata = await fetchMetadata(input.idpMetadataUrl, this.d.config.outboundAllowPrivate)
    if (metadata) {
      const parsed = parseIdpMetadata(metadata)
      next.idp_metadata = metadata
      next.idp_entity_id = parsed.entityId
      next.idp_sso_url = parsed.ssoUrl
      // Stored as PEM like a certificate given directly, so its dates can be read back.
      next.idp_certificate = parsed.certificate ? pem(parsed.certificate, 'idp_metadata') : null
    }
    if (input.idpEntityId !== undefined) next.idp_entity_id = input.idpEntityId
    if (input.idpSsoUrl !== undefined) next.idp_sso_url = checkUrl(input.idpSsoUrl, 'idp_sso_url')
    if (input.idpCertificate !== undefined)
      next.idp_certificate = input.idpCertificate === null ? null : pem(input.idpCertificate)
    if (
      fromDbBool(next.active) &&
      !(next.idp_entity_id && next.idp_sso_url && next.idp_certificate)
    )
      throw ApiError.of('form_param_missing', {
        longMessage:
          'An active SAML connection needs idp_entity_id, idp_sso_url and idp_certificate (or idp_metadata).',
        meta: { param_name: 'idp_metadata' },
      })
    return next
  }

  /**
   * One connection per address: no domain of one connection may be covered by another's, in
   * either direction (the same domain, or a subdomain of one that allows subdomains), else the
   * identifier could not choose and one IdP could sign in the other's users.
   */
  async assertDomainsFree(row: EnterpriseConnectionRow): Promise<void> {
    const mine = domainsOf(row)
    for (const other of await this.list()) {
      if (other.id === row.id) continue
      const taken =
        mine.find((d) => covers(other, d)) ?? domainsOf(other).find((d) => covers(row, d))
      if (taken)
        throw ApiError.of('form_identifier_exists', {
          longMessage: `The domain ${taken} overlaps another connection's domains.`,
          meta: { param_name: 'domains' },
        })
    }
  }
}

export const domainsOf = (row: EnterpriseConnectionRow): string[] =>
  JSON.parse(row.domains) as string[]

export const mappingOf = (row: EnterpriseConnectionRow): AttributeMapping => ({
  ...DEFAULT_MAPPING,
  ...(JSON.parse(row.attribute_mapping) as Partial<AttributeMapping>),
})

export function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@')
  return at > 0
    ? email
        .slice(at + 1)
        .trim()
        .toLowerCase()
    : null
}

/** Whether the connection is authoritative for `domain`. */
export function covers(row: EnterpriseConnectionRow, domain: string): boolean {
  const sub = fromDbBool(row.allow_subdomains)
  return domainsOf(row).some((d) => d === domain || (sub && domain.endsWith(`.${d}`)))
}

export function checkDomains(domains: string[] | undefined): string[] {
  const list = [...new Set((domains ?? []).map((d) => d.trim().toLowerCase()))]
  if (list.length === 0)
    throw ApiError.of('form_param_missing', { meta: { param_name: 'domains' } })
  for (const d of list) if (!DOMAIN.test(d)) throw invalid('domains', 'domain names')
  return list
}

export function checkUrl(value: string | null, param: string): string | null {
  if (value === null) return null
  const url = URL.canParse(value) ? new URL(value) : undefined
  if (!url || metadataUrlProblem(url)) throw invalid(param, 'an https URL')
  return url.href
}

async function fetchMetadata(url: string, policy: AddressPolicy): Promise<string> {
  const checked = new URL(checkUrl(url, 'idp_metadata_url') ?? '')
  try {
    return await fetchIdpMetadata(checked, policy)
  } catch (error) {
    throw ApiError.of('form_param_value_invalid', {
      longMessage: `The IdP metadata could not be read: ${(error as Error).message}`,
      meta: { param_name: 'idp_metadata_url' },
      cause: error,
    })
  }
}

/** A certificate as PEM (IdPs hand out bare base64 too), checked to parse as X.509. */
function pem(value: string, param = 'idp_certificate'): string {
  const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
  const text = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`
  try {
    new X509Certificate(text)
  } catch {
    throw invalid(param, 'an X.509 certificate (PEM or base64)')
  }
  return text
}

export const invalid = (param: string, what: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `${param} must be ${what}.`,
    meta: { param_name: param },
  })
