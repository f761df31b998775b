import { factorOf, type SignInFactor, type SignInFactorJSON } from './sign-in-resource.js'
import { type VerificationJSON, VerificationResource } from './verification.js'

/** How much a step-up proves (Clerk's `SessionVerificationLevel`). */
export type SessionVerificationLevel = 'first_factor' | 'second_factor' | 'multi_factor'

/** A step-up on the wire (fapi spec `Client.SessionReverification`), the fields the SDK reads. */
export type SessionVerificationJSON = {
  object: 'session_reverification'
  id: string
  level: SessionVerificationLevel
  status: string
  supported_first_factors?: SignInFactorJSON[] | null
  supported_second_factors?: SignInFactorJSON[] | null
  first_factor_verification?: VerificationJSON | null
  second_factor_verification?: VerificationJSON | null
}

/**
 * A step-up of the signed-in session (Clerk's `SessionVerificationResource`, issue #17):
 * `needs_first_factor` or `needs_second_factor` until the factors are proved again, then
 * `complete`; the session's sensitive actions then work for the operator's time window.
 *
 * @example
 * let v = await session.startVerification({ level: 'first_factor' })
 * v = await session.attemptFirstFactorVerification({ strategy: 'password', password })
 * if (v.status === 'complete') await user.updatePassword({ newPassword })
 */
export class SessionVerificationResource {
  readonly id: string
  readonly level: SessionVerificationLevel
  /** `needs_first_factor`, `needs_second_factor` or `complete`. */
  readonly status: string
  /** What the user may prove first: `password`, `email_code`. */
  readonly supportedFirstFactors: SignInFactor[]
  /** What the user enrolled: `totp`, `backup_code`; empty without a second factor. */
  readonly supportedSecondFactors: SignInFactor[]
  readonly firstFactorVerification: VerificationResource
  readonly secondFactorVerification: VerificationResource

  constructor(json: SessionVerificationJSON) {
    this.id = json.id
    this.level = json.level
    this.status = json.status
    this.supportedFirstFactors = (json.supported_first_factors ?? []).map(factorOf)
    this.supportedSecondFactors = (json.supported_second_factors ?? []).map(factorOf)
    this.firstFactorVerification = new VerificationResource(json.first_factor_verification)
    this.secondFactorVerification = new VerificationResource(json.second_factor_verification)
  }
}
