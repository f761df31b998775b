import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam, listResponse, pageQuery } from '../http/params.js'
import { MAX_TEMPLATE_LIFETIME } from './jwt-templates.service.js'
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.js'
import type { Json } from './shortcodes.js'
import { TEMPLATE_ALGORITHMS } from './signing.js'

const TemplateParams = z.object({ template_id: idParam('jtmp') })
const name = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain letters, digits, _ . -')
const claims = z.record(z.string(), z.unknown()).transform((v) => v as { [key: string]: Json })
const fields = {
  lifetime: z
    .number()
    .int()
    .min(30)
    .max(
      MAX_TEMPLATE_LIFETIME,
      `at most ${MAX_TEMPLATE_LIFETIME} seconds (24 hours): a template token cannot be revoked with its session, and a signed-in browser mints a fresh one whenever it needs one`,
    )
    .nullable()
    .optional(),
  allowed_clock_skew: z.number().int().min(0).max(300).nullable().optional(),
  custom_signing_key: z.boolean().optional(),
  signing_algorithm: z.enum(TEMPLATE_ALGORITHMS).nullable().optional(),
  signing_key: z.string().min(1).max(16_384).nullable().optional(),
}
const CreateTemplate = z.strictObject({ name, claims, ...fields })
const UpdateTemplate = z.strictObject({
  name: name.optional(),
  claims: claims.optional(),
  ...fields,
})
const ListTemplates = z.object(pageQuery(100))

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v)

function input(body: z.infer<typeof UpdateTemplate>) {
  return {
    name: body.name,
    claims: body.claims,
    lifetime: orUndefined(body.lifetime),
    allowedClockSkew: orUndefined(body.allowed_clock_skew),
    customSigningKey: body.custom_signing_key,
    signingAlgorithm: orUndefined(body.signing_algorithm),
    signingKey: orUndefined(body.signing_key),
  }
}

/** Clerk's Backend API for JWT templates, plus Latchkey's presets route. */
export function jwtTemplateRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/jwt_templates',
    query: ListTemplates,
    handler: async ({ query, services }) => {
      const rows = await services.jwtTemplates.list(query.limit, query.offset)
      const data = rows.map((t) => services.jwtTemplates.toJSON(t))
      return listResponse(data, query.paginated, () => services.jwtTemplates.count())
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/jwt_templates',
    body: CreateTemplate,
    handler: async ({ body, services }) =>
      services.jwtTemplates.toJSON(await services.jwtTemplates.create(input(body))),
  })
  // Latchkey additions: the presets, and one call that creates an integration's template with
  // Clerk's preset claims.
  r.bapi({
    method: 'GET',
    path: '/v1/jwt_templates/presets',
    handler: async () =>
      PRESET_NAMES.map((n) => ({ object: 'jwt_template_preset', ...PRESETS[n] })),
  })
  r.bapi({
    method: 'POST',
    path: '/v1/jwt_templates/presets/:preset',
    params: z.object({ preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]) }),
    handler: async ({ params, services }) =>
      services.jwtTemplates.toJSON(await services.jwtTemplates.createPreset(params.preset)),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/jwt_templates/:template_id',
    params: TemplateParams,
    handler: async ({ params, services }) =>
      services.jwtTemplates.toJSON(await services.jwtTemplates.get(params.template_id)),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/jwt_templates/:template_id',
    params: TemplateParams,
    body: UpdateTemplate,
    handler: async ({ params, body, services }) =>
      services.jwtTemplates.toJSON(
        await services.jwtTemplates.update(params.template_id, input(body)),
      ),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/jwt_templates/:template_id',
    params: TemplateParams,
    handler: async ({ params, services }) => {
      await services.jwtTemplates.delete(params.template_id)
      return { object: 'jwt_template', id: params.template_id, deleted: true }
    },
  })
}
