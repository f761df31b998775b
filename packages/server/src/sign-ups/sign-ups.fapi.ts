import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import {
  absentIfBlank,
  boolish,
  emailField,
  idParam,
  metadataField,
  nameField,
  usernameField,
} from '../http/params.js'

const CREATE_LIMIT = { max: 5, windowMs: 10_000 }
const STEP_LIMIT = { max: 3, windowMs: 10_000 }
const SignUpParams = z.object({ sign_up_id: idParam('sua') })
const Prepare = z.object({
  strategy: z.string().min(1).max(64),
  redirect_url: z.string().max(2048).optional(),
})
const Attempt = z.object({
  strategy: z.string().min(1).max(64),
  code: z.string().max(32).optional(),
})

/**
 * Clerk's sign-up form sends every field the environment enables, the ones it does not show as
 * empty strings: those read as absent. A blank password is still a password, and refused as
 * too short; a blank email address is a missing one.
 */
const CreateSignUp = z.object({
  email_address: absentIfBlank(emailField),
  password: z.string().max(1024).optional(),
  username: absentIfBlank(usernameField),
  first_name: absentIfBlank(nameField),
  last_name: absentIfBlank(nameField),
  unsafe_metadata: absentIfBlank(metadataField),
  /** Clerk's transfer: the sign-in's new external account becomes this sign-up (issue #18). */
  transfer: boolish.optional(),
  /** `oauth_<provider>` or `enterprise_sso`: the sign-up starts at the provider (issue #18). */
  strategy: absentIfBlank(z.string().min(1).max(64)),
  redirect_url: absentIfBlank(z.string().max(2048)),
  action_complete_redirect_url: absentIfBlank(z.string().max(2048)),
})

/** `PATCH`: what a sign-up is missing (the address a provider did not give). */
const UpdateSignUp = z.object({
  email_address: absentIfBlank(emailField),
})

export function signUpRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ups',
    body: CreateSignUp,
    rateLimit: CREATE_LIMIT,
    handler: async ({ body, client, services, device, proxyUrl }) => {
      // `enterprise_sso` (`saml`): the sign-up's email address chooses the connection (#18).
      const oauth =
        body.strategy?.startsWith('oauth_') ||
        body.strategy === 'enterprise_sso' ||
        body.strategy === 'saml'
          ? body.strategy
          : undefined
      if (body.strategy !== undefined && !oauth)
        throw ApiError.of('form_param_value_invalid', {
          longMessage: `Unsupported strategy ${body.strategy}.`,
          meta: { param_name: 'strategy' },
        })
      const result = body.transfer
        ? await services.signUps.transfer(client?.id, device)
        : oauth
          ? await services.signUps.startOAuth(
              {
                strategy: oauth,
                emailAddress: body.email_address,
                redirectUrl: body.redirect_url,
                actionCompleteRedirectUrl: body.action_complete_redirect_url,
                proxyUrl,
              },
              client?.id,
              device,
            )
          : await services.signUps.create(
              {
                emailAddress: body.email_address,
                password: body.password,
                username: body.username,
                firstName: body.first_name,
                lastName: body.last_name,
                unsafeMetadata: body.unsafe_metadata,
              },
              client?.id,
              device,
            )
      return {
        response: await services.render.signUp(result.signUp),
        clientId: result.clientId,
        ...(result.newClientToken ? { newClientToken: result.newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'PATCH',
    path: '/v1/client/sign_ups/:sign_up_id',
    params: SignUpParams,
    body: UpdateSignUp,
    rateLimit: STEP_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const result = await services.signUps.update(
        params.sign_up_id,
        client?.id,
        { emailAddress: body.email_address },
        device,
      )
      return {
        response: await services.render.signUp(result.signUp),
        clientId: result.clientId,
        ...(result.newClientToken ? { newClientToken: result.newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/client/sign_ups/:sign_up_id',
    params: SignUpParams,
    handler: async ({ params, client, services }) => ({
      response: await services.render.signUp(
        await services.signUps.get(params.sign_up_id, client?.id),
      ),
    }),
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ups/:sign_up_id/prepare_verification',
    params: SignUpParams,
    body: Prepare,
    rateLimit: STEP_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const signUp = await services.signUps.prepareVerification(
        params.sign_up_id,
        client?.id,
        { strategy: body.strategy, redirectUrl: body.redirect_url },
        device,
      )
      return { response: await services.render.signUp(signUp) }
    },
  })

  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ups/:sign_up_id/attempt_verification',
    params: SignUpParams,
    body: Attempt,
    rateLimit: STEP_LIMIT,
    handler: async ({ params, body, client, services, device }) => {
      const result = await services.signUps.attemptVerification(
        params.sign_up_id,
        client?.id,
        body,
        device,
      )
      return {
        response: await services.render.signUp(result.signUp),
        clientId: result.clientId,
        ...(result.newClientToken ? { newClientToken: result.newClientToken } : {}),
      }
    },
  })
}
