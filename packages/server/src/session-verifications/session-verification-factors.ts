import { secondFactorNamed, strategyNamed } from '../verification/strategies/index.js'
import type { FactorSubject, SignInFactor } from '../verification/strategy.js'

/**
 * The first factors a step-up may use, where the instance enables them (Clerk's UI offers
 * `password`, `email_code`, `phone_code` and `passkey`; Latchkey has the first two). An email
 * link is not one: it would complete in whichever browser opened it.
 */
export const REVERIFY_FIRST_FACTORS = ['password', 'email_code'] as const

type Found = Omit<FactorSubject, 'identifierEmailId'>

/** What each of `names` offers this user (Clerk's `supported_first_factors`). */
export function offeredFirstFactors(names: readonly string[], found: Found): SignInFactor[] {
  const subject = { ...found, identifierEmailId: null }
  return names.flatMap((name) => strategyNamed(name)?.factors(subject) ?? [])
}

/** What each of `names` offers this user (Clerk's `supported_second_factors`). */
export function offeredSecondFactors(names: readonly string[], found: Found): SignInFactor[] {
  const subject = { ...found, identifierEmailId: null }
  return names.flatMap((name) => secondFactorNamed(name)?.secondFactors?.(subject) ?? [])
}
