import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import { idParam } from '../http/params.js'
import type { Services } from '../services.js'

const UserParams = z.object({ user_id: idParam('user') })

/**
 * An operator's controls over a user's second factors (Clerk's Backend API, issue #17):
 * `@clerk/backend`'s `users.disableUserMFA`, `deleteUserTOTP` and `deleteUserBackupCodes`. Each
 * answers `{ user_id }` (Clerk's shape), also when there was nothing to remove; an unknown user
 * is a 404. They are not refused when the instance requires MFA: the operator decides, and such
 * a user is asked to enrol again at their next sign-in (sessions already signed in stay so).
 */
export function mfaRoutes(r: Router): void {
  const remove = (path: string, run: (services: Services, userId: string) => Promise<void>) =>
    r.bapi({
      method: 'DELETE',
      path: `/v1/users/:user_id/${path}`,
      params: UserParams,
      handler: async ({ params, services }) => {
        await services.users.getById(params.user_id)
        await run(services, params.user_id)
        return { user_id: params.user_id }
      },
    })
  remove('mfa', (services, id) => services.mfa.deleteAllForUser(id))
  // Backup codes back up another factor; with TOTP, the only one, gone they go too.
  remove('totp', (services, id) => services.mfa.deleteAllForUser(id))
  remove('backup_code', (services, id) => services.mfa.deleteBackupCodes(id))
}
