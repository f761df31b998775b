import type { ServiceDeps } from '../service-deps.js'
import { allowedSecondFactors } from '../verification/second-factor-rule.js'
import { PASSWORD_VERIFIED, verificationJSON } from '../verification/verification.render.js'
import {
  offeredFirstFactors,
  offeredSecondFactors,
  REVERIFY_FIRST_FACTORS,
} from './session-verification-factors.js'
import type { SessionVerificationState } from './session-verifications.service.js'

const nullIfEmpty = <T>(list: T[]): T[] | null => (list.length > 0 ? list : null)

/**
 * A session verification in Clerk's shape (fapi spec `Client.SessionReverification`, read by
 * clerk-js's `SessionVerification` resource): its level and status, the factors on offer, each
 * factor's verification, and the session as its client sees it (`factor_verification_age`).
 */
export async function sessionVerificationJSON(
  d: ServiceDeps,
  { row, session, found }: SessionVerificationState,
  origin: string | undefined,
) {
  const { verifications, instance, render } = d.services
  const [first, second, settings] = await Promise.all([
    verifications.find(row.id, 'first_factor'),
    verifications.find(row.id, 'second_factor'),
    instance.settings(),
  ])
  const now = d.clock.now()
  const enabled = REVERIFY_FIRST_FACTORS.filter((f) => settings.first_factors[f])
  return {
    object: 'session_reverification' as const,
    id: row.id,
    level: row.level,
    status: row.status,
    session: await render.session(session, origin),
    supported_first_factors: nullIfEmpty(offeredFirstFactors(enabled, found)),
    supported_second_factors: nullIfEmpty(
      offeredSecondFactors(allowedSecondFactors(settings.second_factors, 'step_up'), found),
    ),
    first_factor_verification: first
      ? first.strategy === 'password'
        ? PASSWORD_VERIFIED
        : verificationJSON(first, now)
      : null,
    second_factor_verification: second ? verificationJSON(second, now) : null,
  }
}
