import { ApiError } from '@latchkey/contracts'
import { passwordRefusal } from '../../users/password-checks.js'
import type { VerificationStrategy } from '../strategy.js'

/**
 * `password`: nothing to prepare; the attempt is checked with the shared per-IP limit, the
 * account's lockout and the known-device exemption (users/password-checks.ts).
 */
export const password: VerificationStrategy = {
  name: 'password',
  factors: ({ user }) => (user.password_digest ? [{ strategy: 'password' }] : []),
  attempt: async (ctx, { user, clientId }, input) => {
    if (!user || input.password === undefined) {
      throw ApiError.of('form_param_missing', { meta: { param_name: 'password' } })
    }
    const result = await ctx.deps.services.users.checkPassword(user, input.password, {
      clientId,
      ipAddress: ctx.device.ipAddress,
    })
    if (result.ok) return
    if (result.code === 'form_password_incorrect')
      throw ApiError.of(result.code, { meta: { param_name: 'password' } })
    throw passwordRefusal(result)
  },
}
