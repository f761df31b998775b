import { ApiError } from '@latchkey/contracts'
import type { UserRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { isKnownDevice, recordDeviceFailure } from './known-device.js'
import { touchedAndUpdatedIn } from './user-events.js'
import * as repo from './users.repository.js'

/**
 * Consecutive wrong second factors (TOTP, backup codes, an email code as second factor; at
 * sign-in and at step-up alike) from which the account refuses second factors: the attempt that
 * reaches it locks them for `LATCHKEY_LOCKOUT_SECONDS`, and so does every further one until a
 * right code. Per account, so new sign-ins, new IPs and new step-ups gain nothing: with the
 * password known, a guesser gets 10 codes, then one per lockout period (24 a day by default).
 */
export const SECOND_FACTOR_LOCK_FROM = 10

/** One second-factor attempt, claimed on the account before its code is compared. */
export type SecondFactorClaim = {
  /** The code was wrong: counts toward the device's own failures (the exemption's end). */
  failed(): Promise<void>
  /** The code was right: the account's second-factor failures and lock are over. */
  succeeded(): Promise<void>
}

/**
 * Claims a second-factor attempt for `user` from `clientId`, else 403 `user_locked` with
 * `meta.retry_after_seconds` (as a password lockout). A known device (known-device.ts) is exempt
 * from the lock, as from the password's: an attacker who has the password cannot keep the owner
 * out of the browsers they use. Its attempts still count and lock the account for others.
 */
export async function claimSecondFactor(
  d: ServiceDeps,
  user: UserRow,
  clientId: string | undefined,
): Promise<SecondFactorClaim> {
  const now = d.clock.now()
  const opts = {
    lockFrom: SECOND_FACTOR_LOCK_FROM,
    lockUntil: now + (await d.services.instance.lockout()).seconds * 1000,
    ignoreLock: false,
  }
  let claimed = await claim(d, user.id, now, opts)
  if (claimed === undefined && (await isKnownDevice(d, clientId, user.id)))
    claimed = await claim(d, user.id, now, { ...opts, ignoreLock: true })
  if (claimed === undefined) {
    const current = await repo.findUserById(d.db, user.id)
    const until = current?.second_factor_locked_until ?? now
    throw ApiError.of('user_locked', {
      longMessage: 'Too many wrong codes for this account. Please try again later.',
      meta: { retry_after_seconds: Math.max(1, Math.ceil((until - now) / 1000)) },
    })
  }
  // From the lock's count on, the lock is in force now (this claim set or extended it).
  const locked = claimed >= SECOND_FACTOR_LOCK_FROM
  return {
    failed: () => recordDeviceFailure(d, clientId, user.id),
    succeeded: async () => {
      if (!locked) return repo.clearSecondFactorFailures(d.db, user.id)
      // A right code lifts the lock in force: the user is no longer `locked`.
      await d.db.transaction().execute(async (trx) => {
        await repo.clearSecondFactorFailures(trx, user.id)
        await touchedAndUpdatedIn(d, trx, user.id)
      })
    },
  }
}

/**
 * One claim. Most cannot lock (short of the lock's count): one UPDATE. The one that locks is
 * claimed in a transaction with the user's `user.updated` (`locked`, `lockout_expires_in_seconds`),
 * so the lock and its event commit together. A known device's claim past a lock in force
 * (`ignoreLock`) extends it: the user stays locked, and emits nothing until the lock is lifted.
 * A right code on the very attempt that locked lifts the lock again at once: two events, each
 * true of the user when its transaction committed.
 */
async function claim(
  d: ServiceDeps,
  userId: string,
  now: number,
  opts: { lockFrom: number; lockUntil: number; ignoreLock: boolean },
): Promise<number | undefined> {
  if (opts.ignoreLock) return repo.claimSecondFactorAttempt(d.db, userId, now, opts)
  const quick = await repo.claimSecondFactorAttempt(d.db, userId, now, { ...opts, belowLock: true })
  if (quick !== undefined) return quick
  return d.db.transaction().execute(async (trx) => {
    const count = await repo.claimSecondFactorAttempt(trx, userId, now, opts)
    if (count !== undefined && count >= opts.lockFrom) await touchedAndUpdatedIn(d, trx, userId)
    return count
  })
}
