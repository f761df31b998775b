import { readFileSync } from 'node:fs'
import { ApiError } from '@latchkey/contracts'

/*
 * NIST SP 800-63B §5.1.1.2: at least 8 characters, allow at least 64 (we allow 256), no
 * composition rules, and refuse passwords known to be common or breached.
 */
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256

const COMMON: ReadonlySet<string> = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l.length > 0 && !l.startsWith('#')),
)

/** Throws the Clerk error for a password that breaks the policy. */
export function assertPasswordAllowed(password: string, paramName = 'password'): void {
  const meta = { param_name: paramName }
  // Length in code points, so an emoji counts once (NIST: "characters").
  const length = [...password].length
  if (length < PASSWORD_MIN) throw ApiError.of('form_password_length_too_short', { meta })
  if (length > PASSWORD_MAX) throw ApiError.of('form_password_length_too_long', { meta })
  if (COMMON.has(password.toLowerCase())) throw ApiError.of('form_password_pwned', { meta })
}
