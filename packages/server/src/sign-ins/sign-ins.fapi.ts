import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'

/** Clerk's limits: 5 sign-in creations and 3 factor attempts per 10 s per IP. */
const CREATE_LIMIT = { max: 5, windowMs: 10_000 }
const ATTEMPT_LIMIT = { max: 3, windowMs: 10_000 }

const CreateSignIn = z.object({
  identifier: z.string().trim().min(1).max(320).optional(),
  password: z.string().min(1).max(1024).optional(),
  strategy: z.string().max(64).optional(),
})
const Attempt = z.object({
  strategy: z.literal('password'),
  password: z.string().min(1).max(1024),
})
const SignInParams = z.object({ sign_in_id: idParam('sia') })

export function signInRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins',
    body: CreateSignIn,
    rateLimit: CREATE_LIMIT,
    handler: async ({ body, client, services, device }) => {
      const result = await services.signIns.create(body, client?.id, device)
      return {
        response: await services.render.signIn(result.signIn),
        clientId: result.clientId,
        ...(result.newClientToken ? { newClientToken: result.newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/client/sign_ins/:sign_in_id',
    params: SignInParams,
    handler: async ({ params, client, services }) => ({
      response: await services.render.signIn(
        await services.signIns.get(params.sign_in_id, client?.id),
      ),
    }),
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins/:sign_in_id/attempt_first_factor',
    params: SignInParams,
    body: Attempt,
    rateLimit: ATTEMPT_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const { signIn, newClientToken } = await services.signIns.attemptFirstFactor(
        params.sign_in_id,
        client?.id,
        body.password,
        device,
      )
      return { response: await services.render.signIn(signIn), newClientToken }
    },
  })
}
