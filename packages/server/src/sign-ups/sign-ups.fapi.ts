import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { emailField, idParam, metadataField, nameField, usernameField } from '../http/params.js'

const CREATE_LIMIT = { max: 5, windowMs: 10_000 }

const CreateSignUp = z.object({
  email_address: emailField.optional(),
  password: z.string().max(1024).optional(),
  username: usernameField.optional(),
  first_name: nameField.optional(),
  last_name: nameField.optional(),
  unsafe_metadata: metadataField.optional(),
})

export function signUpRoutes(r: Router): void {
  r.fapi({
    method: 'POST',
    path: '/v1/client/sign_ups',
    body: CreateSignUp,
    rateLimit: CREATE_LIMIT,
    handler: async ({ body, client, services, device }) => {
      const result = await services.signUps.create(
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
        response: services.render.signUp(result.signUp),
        clientId: result.clientId,
        ...(result.newClientToken ? { newClientToken: result.newClientToken } : {}),
      }
    },
  })

  r.fapi({
    method: 'GET',
    path: '/v1/client/sign_ups/:sign_up_id',
    params: z.object({ sign_up_id: idParam('sua') }),
    handler: async ({ params, client, services }) => ({
      response: services.render.signUp(await services.signUps.get(params.sign_up_id, client?.id)),
    }),
  })
}
