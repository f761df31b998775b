import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import { assertClaimsAllowed, MAX_TEMPLATE_LIFETIME } from './jwt-templates.service.js'
import type { Json } from './shortcodes.js'

const claims = z.record(z.string(), z.unknown()).transform((v) => v as { [key: string]: Json })
const who = {
  user_id: idParam('user'),
  /** One of the user's sessions; by default their most recently active one. */
  session_id: idParam('sess').optional(),
}
const SessionTokenPreview = z.strictObject({ claims, ...who })
const TemplatePreview = z.strictObject({
  claims,
  ...who,
  lifetime: z.number().int().min(30).max(MAX_TEMPLATE_LIFETIME).optional(),
  allowed_clock_skew: z.number().int().min(0).max(300).optional(),
})

const answer = (
  userId: string,
  p: { session: { id: string }; standIn: boolean },
  payload: object,
) => ({
  object: 'token_preview' as const,
  user_id: userId,
  session_id: p.standIn ? null : p.session.id,
  payload,
})

/**
 * Latchkey additions (Clerk's dashboard previews these in its own UI): what the session token
 * or a template's token would carry for a user, with claims not yet saved. The answer is the
 * payload only, never signed and never stored, so a preview is no way to get a token; the claims
 * are checked as saving them would be, so a preview shows the error a save would give.
 * Not recorded in the audit log: they change nothing, and the dashboard asks as the operator types.
 */
export function tokenPreviewRoutes(r: Router): void {
  r.bapi({
    method: 'POST',
    path: '/v1/instance/session_token/preview',
    body: SessionTokenPreview,
    auditAction: false,
    handler: async ({ body, services }) => {
      assertClaimsAllowed(body.claims)
      const p = await services.sessions.forPreview(body.user_id, body.session_id)
      return answer(body.user_id, p, await services.sessionTokens.preview(p.session, body.claims))
    },
  })
  r.bapi({
    method: 'POST',
    path: '/v1/jwt_templates/preview',
    body: TemplatePreview,
    auditAction: false,
    handler: async ({ body, services }) => {
      assertClaimsAllowed(body.claims)
      const p = await services.sessions.forPreview(body.user_id, body.session_id)
      const payload = await services.jwtTemplates.preview(p.session, body.claims, {
        lifetime: body.lifetime,
        allowedClockSkew: body.allowed_clock_skew,
      })
      return answer(body.user_id, p, payload)
    },
  })
}
