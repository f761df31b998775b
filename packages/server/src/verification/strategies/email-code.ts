import { emailFactors } from '../factors.js'
import { checkCode, prepareCode } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'

/** `email_code`: a 6-digit code mailed to the address; proves the person reads that inbox. */
export const emailCode: VerificationStrategy = {
  name: 'email_code',
  factors: (subject) => emailFactors('email_code', subject),
  prepare: async (ctx, target) =>
    prepareCode(ctx, target, 'email_code', (code) => ({
      kind: 'verification_code',
      code,
      purpose: target.purpose,
    })),
  attempt: async (ctx, { row }, input) => checkCode(ctx, row, input.code),
}
