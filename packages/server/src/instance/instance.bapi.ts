import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { intFromString, nameField } from '../http/params.js'
import { assertClaimsAllowed } from '../templates/jwt-templates.service.js'
import {
  EMAIL_DELIVERY,
  type InstancePaths,
  OAUTH_DEFAULTS,
  type OAuthSettings,
  PATH_KEYS,
} from './instance.service.js'

const origin = z
  .string()
  .max(2048)
  .transform((v, ctx) => {
    try {
      const u = new URL(v)
      if (!u.host) throw new Error('no host')
      return u.protocol === 'http:' || u.protocol === 'https:'
        ? u.origin
        : `${u.protocol}//${u.host}`
    } catch {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not an origin` })
      return z.NEVER
    }
  })

const UpdateInstance = z.strictObject({
  allowed_origins: z.array(origin).max(100).optional(),
  // Latchkey addition: the name the prebuilt UI and hosted pages show.
  application_name: nameField.pipe(z.string().min(1)).optional(),
  // Latchkey addition (Clerk's dashboard: "Allow users to delete their accounts").
  delete_self_enabled: z.boolean().optional(),
  // Latchkey addition: `webhook_only` leaves sending to the operator's provider (email.created).
  email_delivery: z.enum(EMAIL_DELIVERY).optional(),
})

const lifetime = (max: number) => z.number().int().min(60).max(max).nullable().optional()
const UpdateOAuthSettings = z.strictObject({
  dynamic_oauth_client_registration: z.boolean().nullable().optional(),
  access_token_lifetime: lifetime(24 * 3600),
  refresh_token_lifetime: lifetime(365 * 24 * 3600),
  authorization_code_lifetime: lifetime(3600),
})

/** An absolute http(s) URL; `null` restores the default. */
const pathUrl = z
  .string()
  .max(2048)
  .refine((v) => /^https?:$/.test(URL.parse(v)?.protocol ?? ''), 'must be an absolute http(s) URL')
  .nullable()
  .optional()
const UpdatePaths = z.strictObject(
  Object.fromEntries(PATH_KEYS.map((k) => [k, pathUrl])) as Record<
    keyof InstancePaths,
    typeof pathUrl
  >,
)

function oauthSettingsJSON(s: OAuthSettings) {
  return {
    object: 'oauth_application_settings' as const,
    dynamic_oauth_client_registration: s.dynamic_oauth_client_registration,
    oauth_jwt_access_tokens: false,
    access_token_lifetime: s.access_token_lifetime,
    refresh_token_lifetime: s.refresh_token_lifetime,
    authorization_code_lifetime: s.authorization_code_lifetime,
  }
}

/** `GET /v1/instance` and `PATCH /v1/instance` (204, like Clerk). */
export function instanceRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/instance',
    handler: ({ services }) => services.instance.toJSON(),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance',
    status: 204,
    body: UpdateInstance,
    handler: async ({ body, services }) => {
      if (body.allowed_origins)
        await services.instance.updateSettings({ allowed_origins: body.allowed_origins })
      if (body.application_name)
        await services.instance.updateSettings({ application_name: body.application_name })
      if (body.delete_self_enabled !== undefined)
        await services.instance.updateSettings({ delete_self_enabled: body.delete_self_enabled })
      if (body.email_delivery)
        await services.instance.updateSettings({ email_delivery: body.email_delivery })
    },
  })
  // Latchkey addition (the dashboard's overview, issue #20): counts from indexed range scans.
  r.bapi({
    method: 'GET',
    path: '/v1/instance/stats',
    query: z.object({ days: intFromString(1, 90).default(30) }),
    handler: ({ query, services }) => services.instanceStats.stats(query.days),
  })
  // Latchkey addition (Clerk keeps these in its dashboard): where the SDKs send people. Every URL
  // must be on this server or an allowed origin, so a setting cannot become an open redirect.
  r.bapi({
    method: 'GET',
    path: '/v1/instance/paths',
    handler: async ({ services }) => ({
      object: 'instance_paths',
      ...(await services.instance.paths()),
    }),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/paths',
    body: UpdatePaths,
    handler: async ({ body, services }) => {
      const next = { ...(await services.instance.settings()).paths }
      for (const key of PATH_KEYS) {
        const value = body[key]
        if (value === undefined) continue
        if (value !== null && !(await services.instance.isAllowedOrigin(new URL(value).origin))) {
          throw ApiError.of('form_param_value_invalid', {
            longMessage: `${key} must be on this server's origin or an allowed origin (PATCH /v1/instance allowed_origins).`,
            meta: { param_name: key },
          })
        }
        next[key] = value === null ? null : new URL(value).href
      }
      await services.instance.updateSettings({ paths: next })
      return { object: 'instance_paths', ...(await services.instance.paths()) }
    },
  })
  // Latchkey addition (Clerk keeps this in its dashboard): custom session-token claims.
  r.bapi({
    method: 'GET',
    path: '/v1/instance/session_token',
    handler: async ({ services }) => ({
      object: 'session_token_settings',
      claims: (await services.instance.settings()).session_token_claims,
    }),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/session_token',
    body: z.strictObject({ claims: z.record(z.string(), z.unknown()) }),
    handler: async ({ body, services }) => {
      assertClaimsAllowed(body.claims)
      await services.instance.updateSettings({ session_token_claims: body.claims })
      return { object: 'session_token_settings', claims: body.claims }
    },
  })
  // Clerk's OAuth application settings, plus Latchkey's lifetimes (Clerk fixes them).
  r.bapi({
    method: 'GET',
    path: '/v1/instance/oauth_application_settings',
    handler: async ({ services }) => oauthSettingsJSON((await services.instance.settings()).oauth),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/oauth_application_settings',
    body: UpdateOAuthSettings,
    handler: async ({ body, services }) => {
      const current = (await services.instance.settings()).oauth
      // A field left out keeps its value; null puts back the default.
      const pick = <K extends keyof OAuthSettings>(k: K): OAuthSettings[K] => {
        const v = body[k]
        return v === null ? OAUTH_DEFAULTS[k] : ((v ?? current[k]) as OAuthSettings[K])
      }
      const next: OAuthSettings = {
        dynamic_oauth_client_registration: pick('dynamic_oauth_client_registration'),
        access_token_lifetime: pick('access_token_lifetime'),
        refresh_token_lifetime: pick('refresh_token_lifetime'),
        authorization_code_lifetime: pick('authorization_code_lifetime'),
      }
      await services.instance.updateSettings({ oauth: next })
      return oauthSettingsJSON(next)
    },
  })
  r.bapi({
    method: 'GET',
    path: '/v1/jwks',
    handler: async ({ services }) => services.keys.jwks(),
  })
}
