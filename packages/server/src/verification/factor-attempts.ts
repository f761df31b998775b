import { ApiError } from '@latchkey/contracts'
import type { UserRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'

/**
 * Wrong answers one proof owner — a sign-in's second step, a step-up's first or second factor —
 * takes before it must start again (like an email code's 3 on its row). The window outlives the
 * owners it counts (a sign-in is abandoned sooner, a step-up after an hour).
 */
export const ATTEMPTS_PER_OWNER = { max: 3, windowMs: 60 * 60_000 }

/** What one attempt is counted against. */
export type CountedAttempt = {
  /** The owner and its slot, e.g. `sia_…|second_factor`, `sver_…|first_factor`. */
  owner: string
  /**
   * For a second factor: the account, whose consecutive wrong second factors are limited too
   * (users/second-factor-lockout.ts), and the client it comes from (a known device is exempt).
   */
  secondFactorOf?: { user: UserRow; clientId: string | undefined }
}

/**
 * The one counter of factor attempts whose proof is compared outside a verification row (TOTP,
 * backup codes, a step-up's password), and of every second factor on the account. Counted
 * before the proof is compared, atomically, so parallel guesses cannot exceed either limit:
 * the owner's third wrong answer fails it (`verification_failed`, and every answer after it),
 * and the account's limit answers 403 `user_locked`. Any refusal of the proof counts (fail
 * closed). A right second factor clears the account's failures.
 */
export async function countedAttempt<T>(
  d: ServiceDeps,
  attempt: CountedAttempt,
  check: () => Promise<T>,
): Promise<T> {
  const { max, windowMs } = ATTEMPTS_PER_OWNER
  const tries = await d.services.rateLimits.hit(`factor-attempts|${attempt.owner}`, windowMs)
  if (tries.count > max) throw ApiError.of('verification_failed')
  const of = attempt.secondFactorOf
  const claim = of ? await d.services.users.claimSecondFactor(of.user, of.clientId) : undefined
  let result: T
  try {
    result = await check()
  } catch (error) {
    await claim?.failed()
    if (tries.count >= max) throw ApiError.of('verification_failed', { cause: error })
    throw error
  }
  await claim?.succeeded()
  return result
}
