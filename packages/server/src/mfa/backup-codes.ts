import { createHmac, randomInt } from 'node:crypto'

/** Clerk's backup codes: 10 of them, 8 lowercase letters and digits each. */
export const BACKUP_CODE_COUNT = 10
const LENGTH = 8
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** Fresh codes from the CSPRNG (about 41 bits each). */
export function generateBackupCodes(): string[] {
  return Array.from({ length: BACKUP_CODE_COUNT }, () => {
    let code = ''
    for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
    return code
  })
}

/** What a person may type: case and spaces or dashes ignored; null when it cannot be a code. */
export function normalizeBackupCode(code: string): string | null {
  const c = code.toLowerCase().replace(/[\s-]/g, '')
  return /^[a-z0-9]{8}$/.test(c) ? c : null
}

/**
 * HMAC-SHA-256 under a key derived from the instance's encryption key, bound to the user: a
 * database reader can neither test codes offline nor move a row to another user. A code is then
 * found by its hash, so the comparison reveals nothing of the code.
 */
export function hashBackupCode(key: Uint8Array, userId: string, normalized: string): string {
  return createHmac('sha256', key).update(`${userId}\n${normalized}`).digest('base64url')
}
