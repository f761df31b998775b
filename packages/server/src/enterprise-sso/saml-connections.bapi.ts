import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { boolish, intFromString } from '../http/params.js'
import type { SamlConnectionInput } from './enterprise-connections.service.js'

const Params = z.object({ saml_connection_id: z.string().regex(/^samlc_[0-9A-Za-z]{1,64}$/) })
const nullableText = (max: number) => z.string().trim().max(max).nullable().optional()
const Mapping = z
  .strictObject({
    user_id: z.string().max(256).optional(),
    email_address: z.string().max(256).optional(),
    first_name: z.string().max(256).optional(),
    last_name: z.string().max(256).optional(),
  })
  .nullable()
  .optional()
const fields = {
  name: z.string().trim().min(1).max(256).optional(),
  domain: z.string().trim().min(1).max(253).optional(),
  domains: z.array(z.string().trim().min(1).max(253)).min(1).max(50).optional(),
  idp_entity_id: nullableText(1024),
  idp_sso_url: nullableText(2048),
  idp_certificate: nullableText(16_384),
  idp_metadata_url: nullableText(2048),
  idp_metadata: nullableText(200_000),
  attribute_mapping: Mapping,
  active: z.boolean().optional(),
  sync_user_attributes: z.boolean().optional(),
  allow_subdomains: z.boolean().optional(),
  allow_idp_initiated: z.boolean().optional(),
}
const Create = z.strictObject({ ...fields, provider: z.string().trim().min(1).max(64) })
const Update = z.strictObject(fields)
const ListQuery = z.object({
  limit: intFromString(1, 500).optional(),
  offset: intFromString(0, 1_000_000).optional(),
  paginated: boolish.optional(),
})

const input = (b: z.infer<typeof Update>): SamlConnectionInput => ({
  name: b.name,
  domains: b.domains ?? (b.domain !== undefined ? [b.domain] : undefined),
  idpEntityId: b.idp_entity_id,
  idpSsoUrl: b.idp_sso_url,
  idpCertificate: b.idp_certificate,
  idpMetadataUrl: b.idp_metadata_url,
  idpMetadata: b.idp_metadata,
  attributeMapping: b.attribute_mapping,
  active: b.active,
  syncUserAttributes: b.sync_user_attributes,
  allowSubdomains: b.allow_subdomains,
  allowIdpInitiated: b.allow_idp_initiated,
})

/**
 * `/v1/saml_connections` (bapi spec, SAML Connections; `@clerk/backend`'s `samlConnections`):
 * the operator's SAML IdPs, each bound to email domains. A connection starts inactive unless
 * `active: true` and the IdP's entity id, SSO URL and certificate (or metadata) are given.
 */
export function samlConnectionRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/saml_connections',
    query: ListQuery,
    handler: async ({ query, services }) => {
      const rows = await services.enterpriseConnections.list('saml')
      const offset = query.offset ?? 0
      const page = rows.slice(offset, offset + (query.limit ?? 10))
      const data = await Promise.all(
        page.map((row) => services.enterpriseConnections.samlJSON(row)),
      )
      return { data, total_count: rows.length }
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/saml_connections',
    body: Create,
    handler: async ({ body, services }) =>
      services.enterpriseConnections.samlJSON(
        await services.enterpriseConnections.createSaml({
          ...input(body),
          provider: body.provider,
        }),
      ),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/saml_connections/:saml_connection_id',
    params: Params,
    handler: async ({ params, services }) =>
      services.enterpriseConnections.samlJSON(
        await services.enterpriseConnections.get(params.saml_connection_id, 'saml'),
      ),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/saml_connections/:saml_connection_id',
    params: Params,
    body: Update,
    handler: async ({ params, body, services }) =>
      services.enterpriseConnections.samlJSON(
        await services.enterpriseConnections.updateSaml(params.saml_connection_id, input(body)),
      ),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/saml_connections/:saml_connection_id',
    params: Params,
    handler: async ({ params, services }) => {
      await services.enterpriseConnections.delete(params.saml_connection_id, 'saml')
      return { object: 'saml_connection', id: params.saml_connection_id, deleted: true }
    },
  })
}
