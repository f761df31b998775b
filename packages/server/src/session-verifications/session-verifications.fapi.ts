import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import { REVERIFICATION_LEVELS } from '../instance/reverification-settings.js'
import type { Services } from '../services.js'
import type { SessionVerificationState } from './session-verifications.service.js'

/** Clerk's limits for factor steps: 3 per 10 s per IP (as a sign-in's). */
const STEP_LIMIT = { max: 3, windowMs: 10_000 }
const START_LIMIT = { max: 5, windowMs: 10_000 }

const strategy = z.string().min(1).max(64)
const Params = z.object({ session_id: idParam('sess') })

function requireClient<T>(client: T | undefined): T {
  if (!client) throw ApiError.of('signed_out')
  return client
}

type Render = { services: Services; origin: string | undefined }
const answer = async ({ services, origin }: Render, state: SessionVerificationState) => ({
  response: await services.sessionVerifications.render(state, origin),
})

/**
 * Step-up (issue #17 item 4; Clerk's reverification, fapi spec `startSessionReverification` and
 * its prepare/attempt operations): the signed-in user proves a factor again, for the session
 * named in the path, which must belong to the calling client.
 */
export function sessionVerificationRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/verify',
    params: Params,
    body: z.object({ level: z.enum(REVERIFICATION_LEVELS) }),
    rateLimit: START_LIMIT,
    handler: async (ctx) => {
      const { params, body, client, services } = ctx
      const c = requireClient(client)
      return answer(
        ctx,
        await services.sessionVerifications.start(params.session_id, c.id, body.level),
      )
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/verify/prepare_first_factor',
    params: Params,
    body: z.object({ strategy, email_address_id: idParam('idn').optional() }),
    rateLimit: STEP_LIMIT,
    handler: async (ctx) => {
      const { params, body, client, services, device } = ctx
      const sv = services.sessionVerifications
      const state = await sv.current(params.session_id, requireClient(client).id)
      await sv.prepareFirstFactor(
        state,
        { strategy: body.strategy, emailAddressId: body.email_address_id },
        device,
      )
      return answer(ctx, state)
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/verify/attempt_first_factor',
    params: Params,
    body: z.object({
      strategy,
      password: z.string().min(1).max(1024).optional(),
      code: z.string().max(32).optional(),
    }),
    rateLimit: STEP_LIMIT,
    handler: async (ctx) => {
      const { params, body, client, services, device } = ctx
      const sv = services.sessionVerifications
      const state = await sv.current(params.session_id, requireClient(client).id)
      return answer(ctx, await sv.attemptFirstFactor(state, body, device))
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/verify/prepare_second_factor',
    params: Params,
    body: z.object({
      strategy: strategy.optional(),
      phone_number_id: z.string().max(64).optional(),
    }),
    rateLimit: STEP_LIMIT,
    handler: async (ctx) => {
      const { params, body, client, services } = ctx
      const sv = services.sessionVerifications
      const state = await sv.current(params.session_id, requireClient(client).id)
      await sv.prepareSecondFactor(state, body.strategy)
      return answer(ctx, state)
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sessions/:session_id/verify/attempt_second_factor',
    params: Params,
    body: z.object({ strategy, code: z.string().max(64).optional() }),
    rateLimit: STEP_LIMIT,
    handler: async (ctx) => {
      const { params, body, client, services, device } = ctx
      const sv = services.sessionVerifications
      const state = await sv.current(params.session_id, requireClient(client).id)
      return answer(ctx, await sv.attemptSecondFactor(state, body, device))
    },
  })
}
