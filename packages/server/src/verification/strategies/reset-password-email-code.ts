import { emailFactors } from '../factors.js'
import { checkCode, prepareCode } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'

/**
 * `reset_password_email_code` ("Forgot password?"): a code mailed to the address; once it is
 * proved the sign-in waits for a new password (`needs_new_password`) instead of completing.
 */
export const resetPasswordEmailCode: VerificationStrategy = {
  name: 'reset_password_email_code',
  signInOutcome: 'needs_new_password',
  factors: (subject) => emailFactors('reset_password_email_code', subject),
  prepare: async (ctx, target) =>
    prepareCode(ctx, target, 'reset_password_email_code', (code) => ({
      kind: 'reset_password_code',
      code,
    })),
  attempt: async (ctx, { row }, input) => checkCode(ctx, row, input.code),
}
