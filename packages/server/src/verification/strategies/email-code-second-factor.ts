import { safeIdentifier } from '../factors.js'
import { hasFactor } from '../mfa-proof.js'
import { checkCode, prepareCode } from '../otp.js'
import type { VerificationStrategy } from '../strategy.js'

/**
 * `email_code` as a second factor, when the operator allows it (`second_factors.email_code`): a
 * 6-digit code mailed to the user's primary address, which must be verified. It is one more way
 * through the second step of a user who enrolled MFA (an authenticator app, backup codes), never
 * a second step of its own: Clerk asks users without MFA for an email code only through Client
 * Trust (`needs_client_trust`, new devices), which Latchkey does not have.
 */
export const emailCodeSecondFactor: VerificationStrategy = {
  name: 'email_code',
  factors: () => [],
  secondFactors: ({ user, emails, identifierEmailId }) => {
    if (!hasFactor(user, 'totp') && !hasFactor(user, 'backup_code')) return []
    const primary = emails.find((e) => e.id === user.primary_email_address_id)
    if (!primary || Number(primary.verified) !== 1) return []
    const typed = identifierEmailId === primary.id
    return [
      {
        strategy: 'email_code',
        safe_identifier: safeIdentifier(primary.email_address, typed),
        email_address_id: primary.id,
        primary: true,
      },
    ]
  },
  prepare: async (ctx, target) =>
    prepareCode(ctx, target, 'email_code', (code) => ({
      kind: 'verification_code',
      code,
      purpose: target.purpose,
    })),
  attempt: async (ctx, { row }, input) => checkCode(ctx, row, input.code),
}
