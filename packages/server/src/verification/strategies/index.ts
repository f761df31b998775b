import type { VerificationStrategy } from '../strategy.js'
import { backupCode } from './backup-code.js'
import { emailCode } from './email-code.js'
import { emailLink } from './email-link.js'
import { oauthStrategy } from './oauth.js'
import { password } from './password.js'
import { resetPasswordEmailCode } from './reset-password-email-code.js'
import { totp } from './totp.js'

/**
 * Every strategy, by name (node-oidc-provider's grant-type registry). A new one — `totp`,
 * `backup_code`, `passkey`, `oauth_*` — is a file beside these and a line here.
 */
const STRATEGIES: ReadonlyMap<string, VerificationStrategy> = new Map(
  [password, emailCode, emailLink, resetPasswordEmailCode, totp, backupCode].map((s) => [
    s.name,
    s,
  ]),
)

export function strategyNamed(name: string): VerificationStrategy | undefined {
  // `oauth_<provider>`: one strategy per configured connection (its provider is checked when
  // the redirect is prepared).
  if (name.startsWith('oauth_') && name.length > 6) return oauthStrategy(name)
  return STRATEGIES.get(name)
}

/** The first-factor strategies, in the order a sign-in lists them. */
export const FIRST_FACTOR_ORDER = [
  'email_code',
  'email_link',
  'password',
  'reset_password_email_code',
] as const

/** The second-factor strategies, in the order a sign-in lists them. */
export const SECOND_FACTOR_ORDER = ['totp', 'backup_code'] as const
