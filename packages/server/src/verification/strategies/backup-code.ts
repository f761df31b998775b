import { hasFactor, wrongCode } from '../mfa-proof.js'
import type { VerificationStrategy } from '../strategy.js'

/** `backup_code`: one of the codes shown at enrolment, each accepted once. */
export const backupCode: VerificationStrategy = {
  name: 'backup_code',
  factors: () => [],
  secondFactors: ({ user }) =>
    hasFactor(user, 'backup_code') ? [{ strategy: 'backup_code' }] : [],
  attempt: async (ctx, { user }, input) => {
    if (!user || input.code === undefined) throw wrongCode()
    if (!(await ctx.deps.services.mfa.useBackupCode(user, input.code.trim()))) throw wrongCode()
  },
}
