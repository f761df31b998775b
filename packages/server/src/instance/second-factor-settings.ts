import { readFlags } from './sign-up-settings.js'

/**
 * Which second factors users may enrol and sign in with (Clerk's dashboard page "Multi-factor").
 * As in a new Clerk instance with MFA turned on: an authenticator app with backup codes. An
 * email code as a second step is off until the operator turns it on (docs/verification.md).
 */
export type SecondFactorSettings = {
  totp: boolean
  backup_code: boolean
  email_code: boolean
}

export const SECOND_FACTOR_DEFAULTS: SecondFactorSettings = {
  totp: true,
  backup_code: true,
  email_code: false,
}

export const readSecondFactorSettings = (raw: unknown): SecondFactorSettings =>
  readFlags(raw, SECOND_FACTOR_DEFAULTS)
