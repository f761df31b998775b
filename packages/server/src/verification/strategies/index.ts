import type { VerificationStrategy } from '../strategy.js'
import { backupCode } from './backup-code.js'
import { emailCode } from './email-code.js'
import { emailCodeSecondFactor } from './email-code-second-factor.js'
import { emailLink } from './email-link.js'
import { enterpriseSso, saml } from './enterprise-sso.js'
import { oauthStrategy } from './oauth.js'
import { passkey } from './passkey.js'
import { password } from './password.js'
import { resetPasswordEmailCode } from './reset-password-email-code.js'
import { totp } from './totp.js'

const byName = (list: VerificationStrategy[]): ReadonlyMap<string, VerificationStrategy> =>
  new Map(list.map((s) => [s.name, s]))

/**
 * Every first-factor and address strategy, by name (node-oidc-provider's grant-type registry).
 * A new one — `passkey`, `oauth_*` — is a file beside these and a line here.
 */
const STRATEGIES = byName([
  password,
  emailCode,
  emailLink,
  resetPasswordEmailCode,
  passkey,
  enterpriseSso,
  saml,
])

/**
 * The second-factor strategies, by name: a name may mean another thing in the second step
 * (`email_code` there is mailed to the primary address of a user who enrolled MFA).
 */
const SECOND_FACTOR_STRATEGIES = byName([totp, backupCode, emailCodeSecondFactor])

export function strategyNamed(name: string): VerificationStrategy | undefined {
  // `oauth_<provider>`: one strategy per configured connection (its provider is checked when
  // the redirect is prepared).
  if (name.startsWith('oauth_') && name.length > 6) return oauthStrategy(name)
  return STRATEGIES.get(name)
}

export function secondFactorNamed(name: string): VerificationStrategy | undefined {
  return SECOND_FACTOR_STRATEGIES.get(name)
}

/** The first-factor strategies, in the order a sign-in lists them. */
export const FIRST_FACTOR_ORDER = [
  'email_code',
  'email_link',
  'password',
  'reset_password_email_code',
  'passkey',
] as const

/** The second-factor strategies, in the order a sign-in lists them. */
export const SECOND_FACTOR_ORDER = ['totp', 'backup_code', 'email_code'] as const
