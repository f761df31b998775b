import type { SecondFactorSettings } from '../instance/second-factor-settings.js'
import { SECOND_FACTOR_ORDER } from './strategies/index.js'

/** First factors that reach the user's inbox: after one, an email code proves nothing more. */
const EMAIL_FIRST_FACTORS: ReadonlySet<string> = new Set([
  'email_code',
  'email_link',
  'reset_password_email_code',
])

/**
 * Whether a first factor went through the user's inbox or may have: an email factor, or an
 * identity provider (`oauth_*`, `enterprise_sso`, `saml`), which as often as not hosts that
 * very mailbox (Google, Microsoft, a company's IdP) — a code sent there after it is one factor.
 */
const viaInbox = (strategy: string) =>
  EMAIL_FIRST_FACTORS.has(strategy) ||
  strategy.startsWith('oauth_') ||
  strategy === 'enterprise_sso' ||
  strategy === 'saml'

/**
 * What a second factor is proved after: a sign-in's first factor (its verification's strategy;
 * null for one proved without a verification row — a password: every factor that goes through
 * the inbox leaves its row), or a step-up of a session, whose own first factor this proof does
 * not know (the session may have been signed in through the inbox).
 */
export type SecondFactorContext = { signInFirstFactor: string | null } | 'step_up'

/**
 * The one rule for which second factors a proof may use — a sign-in's second step
 * (`supported_second_factors`, `attempt_second_factor`) and a step-up's alike — in Clerk's
 * order:
 * - what the user enrolled (`totp`, `backup_code`) always: the operator's switch stops new
 *   enrolment, never an enrolled factor — failing open would let the first factor alone in;
 * - an email code only where the operator allows it and the first factor did not go through
 *   the same inbox (two codes to one mailbox are one factor): never after a sign-in's email
 *   code, link or reset code, and never at a step-up, which cannot tell (fail closed).
 * Each strategy then offers only what the user has (verification/strategies/*.ts).
 */
export function allowedSecondFactors(
  settings: Pick<SecondFactorSettings, 'email_code'>,
  context: SecondFactorContext,
): string[] {
  const emailCode =
    settings.email_code && context !== 'step_up' && !viaInbox(context.signInFirstFactor ?? '')
  return SECOND_FACTOR_ORDER.filter((name) => (name === 'email_code' ? emailCode : true))
}
