import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'

const Params = z.object({
  user_id: idParam('user'),
  passkey_identification_id: idParam('pk'),
})

/**
 * An operator removes a user's passkey (Clerk's Backend API `UserPasskeyDelete`, which
 * `@clerk/backend`'s `users.deleteUserPasskey` calls): Clerk's deleted object; a passkey of
 * another user, or none, is a 404. (Clerk also mails the user; Latchkey does not yet.)
 */
export function passkeyRoutes(r: Router): void {
  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id/passkeys/:passkey_identification_id',
    params: Params,
    handler: async ({ params, services }) => {
      await services.users.getById(params.user_id)
      return services.passkeys.remove(params.user_id, params.passkey_identification_id)
    },
  })
}
