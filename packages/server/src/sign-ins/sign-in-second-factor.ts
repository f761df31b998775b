import { ApiError } from '@latchkey/contracts'
import type { SignInRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { SECOND_FACTOR_ORDER } from '../verification/strategies/index.js'
import { assertNotLocked, completeSignIn, signInUser } from './sign-in-factors.js'

/** Wrong second-factor codes one sign-in takes before it must start again (like a code's 3). */
const MAX_SECOND_FACTOR_ATTEMPTS = 3
const ATTEMPT_WINDOW_MS = 10 * 60 * 1000

function assertWaiting(d: ServiceDeps, signIn: SignInRow): void {
  if (d.clock.now() >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
  if (signIn.status !== 'needs_second_factor' || !signIn.user_id)
    throw ApiError.of('sign_in_not_ready')
}

function secondFactorStrategy(d: ServiceDeps, name: string) {
  return d.services.verifications.strategy(name, SECOND_FACTOR_ORDER)
}

/** `prepare_second_factor`: `totp` and `backup_code` have nothing to send. */
export async function prepareSecondFactor(
  d: ServiceDeps,
  signIn: SignInRow,
  strategy: string,
): Promise<SignInRow> {
  assertWaiting(d, signIn)
  secondFactorStrategy(d, strategy)
  return signIn
}

/**
 * `attempt_second_factor`: a banned or locked user stops here too; attempts are counted per
 * sign-in before the code is checked, and a third wrong one fails the sign-in's second step
 * (`verification_failed`: start again). Proved, the sign-in completes with
 * the second factor's time on the session (the token's `fva`).
 */
export async function attemptSecondFactor(
  d: ServiceDeps,
  signIn: SignInRow,
  input: { strategy: string; code?: string | undefined },
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  assertWaiting(d, signIn)
  const strategy = secondFactorStrategy(d, input.strategy)
  const found = await signInUser(d, signIn)
  assertNotLocked(found.user)
  const offered = strategy.secondFactors?.({ ...found, identifierEmailId: null }) ?? []
  if (offered.length === 0) throw ApiError.of('strategy_for_user_invalid')
  // Counted before the code is compared, atomically: parallel guesses cannot exceed the limit.
  const tries = await d.services.rateLimits.hit(`second-factor|${signIn.id}`, ATTEMPT_WINDOW_MS)
  if (tries.count > MAX_SECOND_FACTOR_ATTEMPTS) throw ApiError.of('verification_failed')
  try {
    await strategy.attempt(
      { deps: d, device },
      { row: undefined, user: found.user, clientId: signIn.client_id },
      { code: input.code },
    )
  } catch (error) {
    if (tries.count >= MAX_SECOND_FACTOR_ATTEMPTS)
      throw ApiError.of('verification_failed', { cause: error })
    throw error
  }
  const now = d.clock.now()
  const proved = d.services.verifications.provedWrite(signIn.id, 'second_factor', strategy.name)
  return completeSignIn(d, signIn, found.user, [proved], device, now)
}
