import { ApiError } from '@latchkey/contracts'
import { fromDbBool, type UserRow, type UserUpdate } from '@latchkey/db'
import { KeyedSerial } from '../lib/keyed-serial.js'
import { hashPassword, needsRehash, verifyNoAccount, verifyPassword } from '../lib/passwords.js'
import type { ServiceDeps } from '../service-deps.js'
import { isKnownDevice, recordDeviceFailure } from './known-device.js'
import { PASSWORD_CHECKS_PER_IP, throttleDelayMs, throttledFor } from './password-attempts.js'
import { touchedAndUpdatedIn, userUpdatedIn } from './user-events.js'
import { lockoutExpiresIn } from './users.mapper.js'
import * as repo from './users.repository.js'

/** Where a password attempt comes from; internal callers give neither. */
export type PasswordAttempt = {
  /** The caller's client (`__client`), which may be a known device of the user. */
  clientId?: string | undefined
  /** The client IP, for the per-IP limit shared by every password-checking route. */
  ipAddress?: string | undefined
}

/** The result of checking a password for sign-in. */
export type PasswordCheck =
  | { ok: true; user: UserRow }
  | { ok: false; code: 'form_password_incorrect' }
  /** Locked by an admin (no end) or by repeated failures (ends in `retryAfterSeconds`). */
  | { ok: false; code: 'user_locked'; retryAfterSeconds: number | null }
  /** Not checked: too many attempts from this IP, or the account's progressive delay. */
  | { ok: false; code: 'too_many_requests'; by: 'ip' | 'account'; retryAfterSeconds: number }

/**
 * Checks passwords for sign-in and password change under the rules of password-attempts.ts.
 * Checks of one account run one at a time in a process, so a burst of parallel guesses cannot
 * all pass the delay before the first failure is written.
 */
export class PasswordChecks {
  private readonly d: ServiceDeps
  readonly #perAccount = new KeyedSerial()

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  async check(user: UserRow, password: string, from: PasswordAttempt = {}): Promise<PasswordCheck> {
    const limited = await this.#perIp(from)
    if (limited) return limited
    return this.#perAccount.run(user.id, async (waited) => {
      // Another check of this account ran meanwhile: read what it wrote.
      const current = waited ? ((await repo.findUserById(this.d.db, user.id)) ?? user) : user
      return this.#check(current, password, from.clientId)
    })
  }

  /**
   * A password for no account a sign-in may use (none by that identifier, a banned one), checked
   * as if there were one: the same per-IP count and about the same time, then "incorrect". So
   * neither the answer, nor its timing, nor when the per-IP limit starts refusing tells a
   * missing account from a wrong password. Counts toward no account's lockout.
   */
  async checkNoAccount(password: string, from: PasswordAttempt = {}): Promise<PasswordCheck> {
    const limited = await this.#perIp(from)
    if (limited) return limited
    await verifyNoAccount(password)
    return { ok: false, code: 'form_password_incorrect' }
  }

  /** The per-IP limit shared by every password-checking route: a refusal, or undefined. */
  async #perIp(from: PasswordAttempt): Promise<PasswordCheck | undefined> {
    if (from.ipAddress === undefined || !this.d.config.rateLimit) return undefined
    const { windowMs, max } = PASSWORD_CHECKS_PER_IP
    const ip = await this.d.services.rateLimits.hit(`password|${from.ipAddress}`, windowMs)
    if (ip.count > max)
      return { ok: false, code: 'too_many_requests', by: 'ip', ...retry(ip.retryAfterSeconds) }
    return undefined
  }

  async #check(user: UserRow, password: string, clientId: string | undefined) {
    const now = this.d.clock.now()
    if (fromDbBool(user.locked))
      return { ok: false, code: 'user_locked', retryAfterSeconds: null } as const
    const lockedFor = lockoutExpiresIn(user, now)
    const waitFor = throttledFor(user, now)
    // Whether the caller is a known device is read only when it matters: when refused or locked.
    const known =
      lockedFor !== null || waitFor !== null
        ? await this.#isKnownDevice(clientId, user.id)
        : undefined
    if (!known && lockedFor !== null)
      return { ok: false, code: 'user_locked', retryAfterSeconds: lockedFor } as const
    if (!known && waitFor !== null)
      return { ok: false, code: 'too_many_requests', by: 'account', ...retry(waitFor) } as const
    const { password_digest: digest, password_hasher: hasher } = user
    const ok =
      digest !== null && hasher !== null && (await verifyPassword(hasher, digest, password))
    if (!ok) return this.#failed(user, now, clientId, known)
    // Success clears the failures, a write only when there is something to clear.
    const patch: UserUpdate = {}
    if (
      user.failed_attempts !== 0 ||
      user.lockout_until !== null ||
      user.throttled_until !== null
    ) {
      patch.failed_attempts = 0
      patch.lockout_until = null
      patch.throttled_until = null
    }
    if (needsRehash(hasher as string, digest as string)) {
      patch.password_digest = await hashPassword(password)
      patch.password_hasher = 'argon2id'
    }
    if (lockedFor !== null) {
      // A known device past a lockout in force lifts it: the user is no longer `locked`.
      await this.d.db.transaction().execute(async (trx) => {
        await repo.updateUserRow(trx, user.id, patch)
        await touchedAndUpdatedIn(this.d, trx, user.id)
      })
    } else if (Object.keys(patch).length > 0) {
      // Counters and a re-hash only: nothing the Backend API renders but the attempts left.
      await repo.updateUserRow(this.d.db, user.id, patch)
    }
    return { ok: true, user: { ...user, ...patch } as UserRow } as const
  }

  /** Counts a failure toward the account's delay and lockout, and the device's own failures. */
  async #failed(
    user: UserRow,
    now: number,
    clientId: string | undefined,
    known: boolean | undefined,
  ): Promise<PasswordCheck> {
    // The instance's lockout (issue #20): the Backend API's setting, else the environment's.
    const { attempts: lockoutAttempts, seconds: lockoutSeconds } =
      await this.d.services.instance.lockout()
    // The count and what it leads to, in one transaction: at the limit the account is locked
    // out, a change of the user's `locked` recorded as `user.updated` with it. A failure short
    // of it changes only counters (`verification_attempts_remaining`) and emits nothing.
    // A known device failing through a lockout in force extends it: the user stays locked.
    const lockedOut = lockoutExpiresIn(user, now) !== null
    const failures = await this.d.db.transaction().execute(async (trx) => {
      const count = await repo.incrementFailedAttempts(trx, user.id, now)
      if (count >= lockoutAttempts) {
        await repo.updateUserRow(trx, user.id, {
          lockout_until: now + lockoutSeconds * 1000,
          failed_attempts: 0,
          throttled_until: null,
        })
        if (!lockedOut) await userUpdatedIn(this.d, trx, user.id)
      } else {
        const delay = throttleDelayMs(count)
        if (delay > 0) await repo.updateUserRow(trx, user.id, { throttled_until: now + delay })
      }
      return count
    })
    await recordDeviceFailure(this.d, clientId, user.id)
    // A known device that fails is not locked out: it is told the password is wrong.
    if (failures >= lockoutAttempts && !(known ?? (await this.#isKnownDevice(clientId, user.id))))
      return { ok: false, code: 'user_locked', retryAfterSeconds: lockoutSeconds }
    return { ok: false, code: 'form_password_incorrect' }
  }

  #isKnownDevice(clientId: string | undefined, userId: string): Promise<boolean> {
    return isKnownDevice(this.d, clientId, userId)
  }
}

const retry = (seconds: number) => ({ retryAfterSeconds: Math.max(1, seconds) })

/**
 * A password check that was refused without looking at the password, as the API error the
 * caller throws: 403 `user_locked`, or 429 `too_many_requests` (its `Retry-After` comes from
 * `meta.retry_after_seconds`).
 */
export function passwordRefusal(
  check: Extract<PasswordCheck, { code: 'user_locked' | 'too_many_requests' }>,
): ApiError {
  if (check.code === 'user_locked') {
    const seconds = check.retryAfterSeconds
    return ApiError.of(
      'user_locked',
      seconds === null ? {} : { meta: { retry_after_seconds: seconds } },
    )
  }
  const { by, retryAfterSeconds: seconds } = check
  const who = by === 'ip' ? 'from this address' : 'for this account'
  return ApiError.of('too_many_requests', {
    longMessage: `Too many password attempts ${who}. Please try again in ${seconds} seconds.`,
    meta: { retry_after_seconds: seconds },
  })
}
