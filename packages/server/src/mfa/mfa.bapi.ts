import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'

const UserParams = z.object({ user_id: idParam('user') })

/**
 * An operator's controls over a user's second factors (Clerk's Backend API, issue #17):
 * `@clerk/backend`'s `users.disableUserMFA`, `deleteUserTOTP` and `deleteUserBackupCodes`. Each
 * answers `{ user_id }` (Clerk's shape), also when there was nothing to remove; an unknown user
 * is a 404.
 */
export function mfaRoutes(r: Router): void {
  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id/mfa',
    params: UserParams,
    handler: async ({ params, services }) => {
      await services.users.getById(params.user_id)
      await services.mfa.deleteAllForUser(params.user_id)
      return { user_id: params.user_id }
    },
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id/totp',
    params: UserParams,
    handler: async ({ params, services }) => {
      await services.users.getById(params.user_id)
      // Backup codes back up another factor; with TOTP, the only one, gone they go too.
      await services.mfa.deleteAllForUser(params.user_id)
      return { user_id: params.user_id }
    },
  })
  r.bapi({
    method: 'DELETE',
    path: '/v1/users/:user_id/backup_code',
    params: UserParams,
    handler: async ({ params, services }) => {
      await services.users.getById(params.user_id)
      await services.mfa.deleteBackupCodes(params.user_id)
      return { user_id: params.user_id }
    },
  })
}
