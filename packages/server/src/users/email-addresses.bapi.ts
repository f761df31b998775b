import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { emailField, idParam } from '../http/params.js'
import { emailToJSON } from './users.mapper.js'

const Params = z.object({ email_address_id: idParam('idn') })
const optionalFlag = z.boolean().nullable().optional()
// Latchkey sends no "your primary address changed" mail yet: asking for one is refused, not ignored.
const notify = z
  .boolean()
  .nullable()
  .optional()
  .refine((v) => v !== true, 'notifying the previous primary address is not supported yet')

const CreateEmail = z.strictObject({
  user_id: idParam('user'),
  email_address: emailField,
  verified: optionalFlag,
  primary: optionalFlag,
  notify_primary_email_address_changed: notify,
})
const UpdateEmail = z.strictObject({
  verified: optionalFlag,
  primary: optionalFlag,
  notify_primary_email_address_changed: notify,
})

/** Clerk's Backend API email addresses (bapi spec: Email Addresses). */
export function emailAddressRoutes(r: Router): void {
  r.bapi({
    method: 'POST',
    path: '/v1/email_addresses',
    body: CreateEmail,
    handler: async ({ body, services }) =>
      emailToJSON(
        await services.emailAddresses.create({
          userId: body.user_id,
          emailAddress: body.email_address,
          verified: body.verified ?? undefined,
          primary: body.primary ?? undefined,
        }),
      ),
  })
  r.bapi({
    method: 'GET',
    path: '/v1/email_addresses/:email_address_id',
    params: Params,
    handler: async ({ params, services }) =>
      emailToJSON(await services.emailAddresses.get(params.email_address_id)),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/email_addresses/:email_address_id',
    params: Params,
    body: UpdateEmail,
    handler: async ({ params, body, services }) =>
      emailToJSON(
        await services.emailAddresses.update(params.email_address_id, {
          verified: body.verified ?? undefined,
          primary: body.primary ?? undefined,
        }),
      ),
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/email_addresses/:email_address_id',
    params: Params,
    handler: async ({ params, services }) => {
      await services.emailAddresses.remove(params.email_address_id)
      return { object: 'email_address', id: params.email_address_id, deleted: true }
    },
  })
}
