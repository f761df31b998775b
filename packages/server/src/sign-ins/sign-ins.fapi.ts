import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { boolish, idParam } from '../http/params.js'

/** Clerk's limits: 5 sign-in creations and 3 factor attempts per 10 s per IP. */
export const SIGN_IN_CREATE_LIMIT = { max: 5, windowMs: 10_000 }
const CREATE_LIMIT = SIGN_IN_CREATE_LIMIT
const ATTEMPT_LIMIT = { max: 3, windowMs: 10_000 }
const PREPARE_LIMIT = { max: 3, windowMs: 10_000 }

const strategy = z.string().min(1).max(64)
const redirectUrl = z.string().max(2048).optional()
const emailAddressId = idParam('idn').optional()

const CreateSignIn = z.object({
  identifier: z.string().trim().min(1).max(320).optional(),
  password: z.string().min(1).max(1024).optional(),
  strategy: strategy.optional(),
  email_address_id: emailAddressId,
  redirect_url: redirectUrl,
  action_complete_redirect_url: redirectUrl,
  /** Clerk's transfer: the sign-up's provider account exists; sign its user in (issue #18). */
  transfer: boolish.optional(),
})
const Prepare = z.object({
  strategy,
  email_address_id: emailAddressId,
  redirect_url: redirectUrl,
  action_complete_redirect_url: redirectUrl,
})
const Attempt = z.object({
  strategy,
  password: z.string().min(1).max(1024).optional(),
  code: z.string().max(32).optional(),
  // A WebAuthn assertion as JSON (clerk-js's serializePublicKeyCredentialAssertion).
  public_key_credential: z.string().max(32_768).optional(),
})
const Reset = z.object({
  password: z.string().max(1024),
  sign_out_of_other_sessions: boolish.optional(),
})
const SignInParams = z.object({ sign_in_id: idParam('sia') })

export function signInRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins',
    body: CreateSignIn,
    rateLimit: CREATE_LIMIT,
    handler: async ({ body, client, services, device, proxyUrl }) => {
      const result = await services.signIns.create(
        {
          identifier: body.identifier,
          password: body.password,
          strategy: body.strategy,
          emailAddressId: body.email_address_id,
          redirectUrl: body.redirect_url,
          actionCompleteRedirectUrl: body.action_complete_redirect_url,
          proxyUrl,
          transfer: body.transfer,
        },
        client?.id,
        device,
      )
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
    path: '/v1/client/sign_ins/:sign_in_id/prepare_first_factor',
    params: SignInParams,
    body: Prepare,
    rateLimit: PREPARE_LIMIT,
    handler: async ({ params, body, client, services, device, proxyUrl }) => {
      const signIn = await services.signIns.prepareFirstFactor(
        params.sign_in_id,
        client?.id,
        {
          strategy: body.strategy,
          emailAddressId: body.email_address_id,
          redirectUrl: body.redirect_url,
          actionCompleteRedirectUrl: body.action_complete_redirect_url,
          proxyUrl,
        },
        device,
      )
      return { response: await services.render.signIn(signIn) }
    },
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
        {
          strategy: body.strategy,
          password: body.password,
          code: body.code,
          publicKeyCredential: body.public_key_credential,
        },
        device,
      )
      return {
        response: await services.render.signIn(signIn),
        ...(newClientToken ? { newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins/:sign_in_id/reset_password',
    params: SignInParams,
    body: Reset,
    rateLimit: ATTEMPT_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const { signIn, newClientToken } = await services.signIns.resetPassword(
        params.sign_in_id,
        client?.id,
        { password: body.password, signOutOfOtherSessions: body.sign_out_of_other_sessions },
        device,
      )
      return {
        response: await services.render.signIn(signIn),
        ...(newClientToken ? { newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins/:sign_in_id/prepare_second_factor',
    params: SignInParams,
    body: z.object({
      strategy,
      phone_number_id: z.string().max(64).optional(),
      email_address_id: z.string().max(64).optional(),
    }),
    rateLimit: PREPARE_LIMIT,
    handler: async ({ params, body, client, services, device }) => ({
      response: await services.render.signIn(
        await services.signIns.prepareSecondFactor(
          params.sign_in_id,
          client?.id,
          { strategy: body.strategy, emailAddressId: body.email_address_id },
          device,
        ),
      ),
    }),
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ins/:sign_in_id/attempt_second_factor',
    params: SignInParams,
    body: z.object({ strategy, code: z.string().max(64).optional() }),
    rateLimit: ATTEMPT_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const { signIn, newClientToken } = await services.signIns.attemptSecondFactor(
        params.sign_in_id,
        client?.id,
        body,
        device,
      )
      return {
        response: await services.render.signIn(signIn),
        ...(newClientToken ? { newClientToken } : {}),
      }
    },
  })
}
