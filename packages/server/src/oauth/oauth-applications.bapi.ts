import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { boolish, idParam, intFromString } from '../http/params.js'
import { type ApplicationInput, parseScopes } from './oauth-applications.service.js'
import { redirectUriProblem } from './redirect-uris.js'

const AppParams = z.object({ oauth_application_id: idParam('oa') })
const uri = z.string().trim().min(1).max(1024)
const httpUrl = z
  .string()
  .trim()
  .max(1024)
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), 'must be an http(s) URL')
const fields = {
  redirect_uris: z.array(uri).max(20).nullable().optional(),
  callback_url: uri.nullable().optional(),
  scopes: z.string().max(1024).nullable().optional(),
  public: z.boolean().nullable().optional(),
  pkce_required: z.boolean().nullable().optional(),
  consent_screen_enabled: z.boolean().nullable().optional(),
  client_uri: httpUrl.nullable().optional(),
  client_image_url: httpUrl.nullable().optional(),
}
const name = z.string().trim().min(1).max(256)
const CreateApp = z.strictObject({ name, ...fields })
const UpdateApp = z.strictObject({ name: name.nullable().optional(), ...fields })
const ListApps = z.object({
  limit: intFromString(1, 500).default(10),
  offset: intFromString(0, 10_000_000).default(0),
  paginated: boolish.optional(),
  order_by: z
    .string()
    .regex(/^[+-]?(created_at|name)$/, 'must be created_at or name, optionally signed')
    .default('-created_at'),
  name_query: z.string().trim().max(256).optional(),
})

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v)

/** `redirect_uris`, or the older single `callback_url`; checked the way authorization will use them. */
function redirectUris(body: z.infer<typeof UpdateApp>): string[] | undefined {
  const uris = body.redirect_uris ?? (body.callback_url ? [body.callback_url] : undefined)
  if (uris === undefined) return undefined
  const unique = [...new Set(uris)]
  const problem = redirectUriProblem(unique)
  if (problem)
    throw ApiError.of('form_param_format_invalid', {
      longMessage: `redirect_uris: ${problem}.`,
      meta: { param_name: body.redirect_uris ? 'redirect_uris' : 'callback_url' },
    })
  return unique
}

function input(body: z.infer<typeof UpdateApp>): ApplicationInput {
  return {
    name: orUndefined(body.name),
    redirectUris: redirectUris(body),
    scopes: typeof body.scopes === 'string' ? parseScopes(body.scopes) : undefined,
    public: orUndefined(body.public),
    pkceRequired: orUndefined(body.pkce_required),
    consentScreenEnabled: orUndefined(body.consent_screen_enabled),
    clientUri: body.client_uri,
    clientImageUrl: body.client_image_url,
  }
}

/** Clerk's Backend API for OAuth applications. */
export function oauthApplicationRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/oauth_applications',
    query: ListApps,
    handler: async ({ query, services }) => {
      const desc = query.order_by.startsWith('-')
      const filter = {
        limit: query.limit,
        offset: query.offset,
        orderBy: query.order_by.replace(/^[+-]/, '') as 'created_at' | 'name',
        direction: desc ? ('desc' as const) : ('asc' as const),
        nameQuery: query.name_query || undefined,
      }
      const [rows, total] = await Promise.all([
        services.oauthApplications.list(filter),
        services.oauthApplications.count(filter.nameQuery),
      ])
      // Clerk always answers this list paginated.
      return { data: rows.map((row) => services.oauthApplications.toJSON(row)), total_count: total }
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/oauth_applications',
    body: CreateApp,
    handler: async ({ body, services }) => {
      const parsed = input(body)
      if (!parsed.redirectUris?.length)
        throw ApiError.of('form_param_missing', {
          longMessage: 'redirect_uris is missing: an OAuth application needs a redirect URI.',
          meta: { param_name: 'redirect_uris' },
        })
      const { row, clientSecret } = await services.oauthApplications.create({
        ...parsed,
        name: body.name,
      })
      return services.oauthApplications.toJSON(row, clientSecret)
    },
  })
  r.bapi({
    method: 'GET',
    path: '/v1/oauth_applications/:oauth_application_id',
    params: AppParams,
    handler: async ({ params, services }) =>
      services.oauthApplications.toJSON(
        await services.oauthApplications.get(params.oauth_application_id),
      ),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/oauth_applications/:oauth_application_id',
    params: AppParams,
    body: UpdateApp,
    handler: async ({ params, body, services }) => {
      const parsed = input(body)
      if (parsed.redirectUris?.length === 0)
        throw ApiError.of('form_param_value_invalid', {
          longMessage: 'redirect_uris must keep at least one redirect URI.',
          meta: { param_name: 'redirect_uris' },
        })
      return services.oauthApplications.toJSON(
        await services.oauthApplications.update(params.oauth_application_id, parsed),
      )
    },
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/oauth_applications/:oauth_application_id',
    params: AppParams,
    handler: async ({ params, services }) => {
      await services.oauthApplications.delete(params.oauth_application_id)
      return { object: 'oauth_application', id: params.oauth_application_id, deleted: true }
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/oauth_applications/:oauth_application_id/rotate_secret',
    params: AppParams,
    handler: async ({ params, services }) => {
      const { row, clientSecret } = await services.oauthApplications.rotateSecret(
        params.oauth_application_id,
      )
      return services.oauthApplications.toJSON(row, clientSecret)
    },
  })
}
