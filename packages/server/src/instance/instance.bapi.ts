import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { assertClaimsAllowed } from '../templates/jwt-templates.service.js'

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
})

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
  r.bapi({
    method: 'GET',
    path: '/v1/jwks',
    handler: async ({ services }) => services.keys.jwks(),
  })
}
