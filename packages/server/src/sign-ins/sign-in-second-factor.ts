import { ApiError } from '@latchkey/contracts'
import { type SignInRow, writeAtomically } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import type { UserWithEmails } from '../users/users.service.js'
import { countedAttempt } from '../verification/factor-attempts.js'
import type { SignInFactor, VerificationStrategy } from '../verification/strategy.js'
import {
  assertNotLocked,
  completeSignIn,
  enabledSecondFactors,
  signInUser,
} from './sign-in-factors.js'

function assertWaiting(d: ServiceDeps, signIn: SignInRow): void {
  if (d.clock.now() >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
  if (signIn.status !== 'needs_second_factor' || !signIn.user_id)
    throw ApiError.of('sign_in_not_ready')
}

/** A second factor this sign-in may use (enabledSecondFactors), else Clerk's 422. */
async function secondFactorStrategy(d: ServiceDeps, signIn: SignInRow, name: string) {
  const first = await d.services.verifications.find(signIn.id, 'first_factor')
  const allowed = await enabledSecondFactors(d, first?.strategy ?? null)
  return d.services.verifications.secondFactorStrategy(name, allowed)
}

/** What the strategy offers this user (for an address: that one), else Clerk's refusal. */
function offeredFactor(
  strategy: VerificationStrategy,
  found: UserWithEmails,
  emailAddressId?: string,
): SignInFactor {
  const offered = strategy.secondFactors?.({ ...found, identifierEmailId: null }) ?? []
  const factor =
    emailAddressId === undefined
      ? offered[0]
      : offered.find((f) => f.email_address_id === emailAddressId)
  if (!factor) throw ApiError.of('strategy_for_user_invalid')
  return factor
}

/**
 * `prepare_second_factor`: `totp` and `backup_code` have nothing to send; `email_code` mails a
 * code to the user's primary address through the engine (cooldown and send limits included).
 */
export async function prepareSecondFactor(
  d: ServiceDeps,
  signIn: SignInRow,
  input: { strategy: string; emailAddressId?: string | undefined },
  device: Device,
): Promise<SignInRow> {
  assertWaiting(d, signIn)
  const strategy = await secondFactorStrategy(d, signIn, input.strategy)
  if (!strategy.prepare) return signIn
  const found = await signInUser(d, signIn)
  assertNotLocked(found.user)
  const factor = offeredFactor(strategy, found, input.emailAddressId)
  const email = found.emails.find((e) => e.id === factor.email_address_id)
  if (!email) throw ApiError.of('strategy_for_user_invalid')
  const target = {
    ownerId: signIn.id,
    slot: 'second_factor' as const,
    purpose: 'sign_in' as const,
    emailAddress: email.email_address,
    emailAddressId: email.id,
    clientId: signIn.client_id,
  }
  const writes = await d.services.verifications.prepare(strategy, target, {}, device)
  await writeAtomically(d.db, d.dialect, writes)
  return signIn
}

/**
 * `attempt_second_factor`: a banned or locked user stops here too; attempts are counted per
 * sign-in and per account before the code is checked (verification/factor-attempts.ts): a
 * third wrong one fails the sign-in's second step (`verification_failed`: start again), and
 * the account's limit locks its second factors (`user_locked`). A prepared factor
 * (`email_code`) is also checked by the engine on its row (expiry, its own attempts, single
 * use). Proved, the sign-in completes with
 * the second factor's time on the session (the token's `fva`).
 */
export async function attemptSecondFactor(
  d: ServiceDeps,
  signIn: SignInRow,
  input: { strategy: string; code?: string | undefined },
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  assertWaiting(d, signIn)
  const strategy = await secondFactorStrategy(d, signIn, input.strategy)
  const found = await signInUser(d, signIn)
  assertNotLocked(found.user)
  offeredFactor(strategy, found)
  // Counted before the code is compared, per sign-in and per account (factor-attempts.ts).
  const counted = {
    owner: `${signIn.id}|second_factor`,
    secondFactorOf: { user: found.user, clientId: signIn.client_id },
  }
  await countedAttempt(d, counted, async () => {
    if (strategy.prepare) {
      const owner = { id: signIn.id, slot: 'second_factor' as const, clientId: signIn.client_id }
      await d.services.verifications.attempt(
        strategy,
        owner,
        found.user,
        { code: input.code },
        device,
      )
    } else {
      await strategy.attempt(
        { deps: d, device },
        { row: undefined, user: found.user, clientId: signIn.client_id },
        { code: input.code },
      )
    }
  })
  const now = d.clock.now()
  // A prepared factor's row is now verified; one proved by its code alone is recorded here.
  const proved = strategy.prepare
    ? []
    : [d.services.verifications.provedWrite(signIn.id, 'second_factor', strategy.name)]
  return completeSignIn(d, signIn, found.user, proved, device, now)
}
