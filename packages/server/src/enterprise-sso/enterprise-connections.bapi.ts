import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { boolish, intFromString } from '../http/params.js'
import type { SamlConnectionInput } from './enterprise-connections.service.js'
import type { OidcConnectionInput } from './enterprise-oidc.service.js'

const Params = z.object({
  enterprise_connection_id: z.string().regex(/^(samlc|entc)_[0-9A-Za-z]{1,64}$/),
})
const text = (max: number) => z.string().trim().max(max)
const nullableText = (max: number) => text(max).nullable().optional()
const Mapping = z.strictObject({
  user_id: nullableText(256),
  email_address: nullableText(256),
  first_name: nullableText(256),
  last_name: nullableText(256),
})
const Saml = z.strictObject({
  name: nullableText(256),
  idp_entity_id: nullableText(1024),
  idp_sso_url: nullableText(2048),
  idp_certificate: nullableText(16_384),
  idp_metadata_url: nullableText(2048),
  idp_metadata: nullableText(200_000),
  attribute_mapping: Mapping.nullable().optional(),
  allow_subdomains: z.boolean().nullable().optional(),
  allow_idp_initiated: z.boolean().nullable().optional(),
  force_authn: z.literal(false).nullable().optional(),
})
const Oidc = z.strictObject({
  client_id: nullableText(512),
  client_secret: nullableText(4096),
  discovery_url: nullableText(2048),
  // Endpoints without discovery are not supported: `discovery_url` names the IdP.
  auth_url: z.null().optional(),
  token_url: z.null().optional(),
  user_info_url: z.null().optional(),
  // PKCE S256 is always used.
  requires_pkce: z.boolean().nullable().optional(),
  /** Latchkey's: space-separated scopes (`openid` is always asked for). */
  scopes: text(1024).optional(),
})
const common = {
  name: text(256).min(1).optional(),
  domains: z.array(text(253).min(1)).max(50).optional(),
  active: z.boolean().nullable().optional(),
  sync_user_attributes: z.boolean().nullable().optional(),
  /** Latchkey's, for either protocol (Clerk has it under `saml`). */
  allow_subdomains: z.boolean().nullable().optional(),
  saml: Saml.nullable().optional(),
  oidc: Oidc.nullable().optional(),
}
const Create = z.strictObject({
  ...common,
  provider: text(64).min(1),
  domains: z.array(text(253).min(1)).min(1).max(50),
})
const Update = z.strictObject(common)
const ListQuery = z.object({
  limit: intFromString(1, 500).optional(),
  offset: intFromString(0, 1_000_000).optional(),
  active: boolish.optional(),
})

type Body = z.infer<typeof Update>
const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v)

function samlInput(b: Body): SamlConnectionInput {
  if (b.oidc) throw notFor('oidc', 'SAML')
  const s = b.saml ?? {}
  return {
    name: b.name ?? orUndefined(s.name),
    domains: b.domains?.length ? b.domains : undefined,
    idpEntityId: s.idp_entity_id,
    idpSsoUrl: s.idp_sso_url,
    idpCertificate: s.idp_certificate,
    idpMetadataUrl: s.idp_metadata_url,
    idpMetadata: s.idp_metadata,
    attributeMapping: s.attribute_mapping
      ? Object.fromEntries(Object.entries(s.attribute_mapping).filter(([, v]) => v != null))
      : undefined,
    active: orUndefined(b.active),
    syncUserAttributes: orUndefined(b.sync_user_attributes),
    allowSubdomains: orUndefined(s.allow_subdomains ?? b.allow_subdomains),
    allowIdpInitiated: orUndefined(s.allow_idp_initiated),
  }
}

function oidcInput(b: Body): OidcConnectionInput {
  if (b.saml) throw notFor('saml', 'OpenID Connect')
  const o = b.oidc ?? {}
  return {
    name: b.name,
    domains: b.domains,
    discoveryUrl: o.discovery_url,
    clientId: o.client_id,
    clientSecret: o.client_secret,
    scopes: o.scopes,
    active: orUndefined(b.active),
    allowSubdomains: orUndefined(b.allow_subdomains),
    syncUserAttributes: orUndefined(b.sync_user_attributes),
  }
}

const notFor = (param: string, protocol: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `${param} does not apply to a ${protocol} connection.`,
    meta: { param_name: param },
  })

/**
 * `/v1/enterprise_connections` (bapi spec, Enterprise Connections): SAML and OpenID Connect
 * connections in one list, each bound to email domains — the SAML ones are the same rows
 * `/v1/saml_connections` shows. The provider chooses the protocol (`saml_*` or `oidc_custom`);
 * a connection starts inactive unless `active: true` and its IdP settings are complete.
 */
export function enterpriseConnectionRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/enterprise_connections',
    query: ListQuery,
    handler: async ({ query, services }) => {
      const all = (await services.enterpriseConnections.list()).map((row) =>
        services.enterpriseConnections.json(row),
      )
      const shown = all.filter((c) => query.active === undefined || c.active === query.active)
      const offset = query.offset ?? 0
      return {
        data: shown.slice(offset, offset + (query.limit ?? 10)),
        total_count: shown.length,
      }
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/enterprise_connections',
    body: Create,
    handler: async ({ body, services }) => {
      const row = body.provider.startsWith('saml_')
        ? await services.enterpriseConnections.createSaml({
            ...samlInput(body),
            provider: body.provider,
          })
        : await services.enterpriseOidc.create({ ...oidcInput(body), provider: body.provider })
      return services.enterpriseConnections.json(row)
    },
  })
  r.bapi({
    method: 'GET',
    path: '/v1/enterprise_connections/:enterprise_connection_id',
    params: Params,
    handler: async ({ params, services }) =>
      services.enterpriseConnections.json(
        await services.enterpriseConnections.get(params.enterprise_connection_id),
      ),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/enterprise_connections/:enterprise_connection_id',
    params: Params,
    body: Update,
    handler: async ({ params, body, services }) => {
      const id = params.enterprise_connection_id
      const existing = await services.enterpriseConnections.get(id)
      const row =
        existing.protocol === 'saml'
          ? await services.enterpriseConnections.updateSaml(id, samlInput(body))
          : await services.enterpriseOidc.update(id, oidcInput(body))
      return services.enterpriseConnections.json(row)
    },
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/enterprise_connections/:enterprise_connection_id',
    params: Params,
    handler: async ({ params, services }) => {
      await services.enterpriseConnections.delete(params.enterprise_connection_id)
      return { object: 'enterprise_connection', id: params.enterprise_connection_id, deleted: true }
    },
  })
}
