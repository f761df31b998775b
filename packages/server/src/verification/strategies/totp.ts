import { hasFactor, wrongCode } from '../mfa-proof.js'
import type { VerificationStrategy } from '../strategy.js'

/**
 * `totp` (RFC 6238, an authenticator app) as a second factor. The MFA service checks the code in
 * a window of one step either way and accepts each step once, so a code seen over a shoulder
 * cannot be replayed inside its 30 s.
 */
export const totp: VerificationStrategy = {
  name: 'totp',
  factors: () => [],
  secondFactors: ({ user }) => (hasFactor(user, 'totp') ? [{ strategy: 'totp' }] : []),
  attempt: async (ctx, { user }, input) => {
    if (!user || input.code === undefined) throw wrongCode()
    if (!(await ctx.deps.services.mfa.checkTotp(user, input.code.trim()))) throw wrongCode()
  },
}
