import { ApiError } from '@latchkey/contracts'
import type { UserRow } from '@latchkey/db'

/** A second factor's proof was wrong: Clerk's `form_code_incorrect`, naming the field. */
export function wrongCode(): ApiError {
  return ApiError.of('form_code_incorrect', { meta: { param_name: 'code' } })
}

/** Whether a user has a second factor of that kind (the flags the MFA service keeps). */
export function hasFactor(user: UserRow, kind: 'totp' | 'backup_code'): boolean {
  return Number(kind === 'totp' ? user.totp_enabled : user.backup_code_enabled) === 1
}
