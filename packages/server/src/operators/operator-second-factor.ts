import { ApiError, randomBase62 } from '@latchkey/contracts'
import type { UserRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertNotLocked } from '../sign-ins/sign-in-factors.js'
import { countedAttempt } from '../verification/factor-attempts.js'
import { hasFactor } from '../verification/mfa-proof.js'
import { secondFactorNamed } from '../verification/strategies/index.js'

/**
 * An operator's second factor: the `code` field holds a TOTP code (six digits, when the user has
 * an authenticator) or a backup code. Checked by the sign-in's own strategies and counted by the
 * same counter (verification/factor-attempts.ts): a wrong code is 422 `form_code_incorrect` and
 * counts toward the account's second-factor lock (users/second-factor-lockout.ts), as at the
 * Frontend API. Each operator sign-in request is its own attempt owner, as each Frontend API
 * sign-in is (which the per-IP limit on creating them bounds); no client, so no known device.
 */
export async function verifyOperatorCode(
  d: ServiceDeps,
  user: UserRow,
  code: string,
  device: Device,
): Promise<void> {
  assertNotLocked(user)
  const trimmed = code.trim()
  const name = /^\d{6}$/.test(trimmed) && hasFactor(user, 'totp') ? 'totp' : 'backup_code'
  const strategy = secondFactorNamed(name)
  if (!strategy) throw ApiError.of('form_code_incorrect', { meta: { param_name: 'code' } })
  const counted = {
    owner: `operator_sign_in_${randomBase62(20)}|second_factor`,
    secondFactorOf: { user, clientId: undefined },
  }
  await countedAttempt(d, counted, () =>
    strategy.attempt(
      { deps: d, device },
      { row: undefined, user, clientId: undefined },
      { code: trimmed },
    ),
  )
}
