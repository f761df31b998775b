import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'

/**
 * Allowlist and blocklist identifiers, as Clerk takes them: an email address
 * (`ada@example.com`) or every address of a domain (`*@example.com`). Clerk also takes phone
 * numbers and web3 wallets; Latchkey has neither yet, so they are refused rather than stored
 * to match nothing. Identifiers are compared lower-cased, as email addresses are everywhere else.
 */

/** The address check every Backend API email field makes (`emailField`, zod's `z.email()`). */
const ADDRESS = z.email()
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/

/**
 * An identifier normalized for storage (trimmed, lower-cased), or a 422 naming `identifier`.
 *
 * @example
 * ```ts
 * normalizeIdentifier(' *@Example.COM ') // '*@example.com'
 * ```
 */
export function normalizeIdentifier(raw: string): string {
  const v = raw.trim().toLowerCase()
  const ok =
    v.length <= 320 && (v.startsWith('*@') ? DOMAIN.test(v.slice(2)) : ADDRESS.safeParse(v).success)
  if (!ok) {
    throw ApiError.of('form_param_format_invalid', {
      longMessage:
        'identifier must be an email address (ada@example.com) or a domain wildcard (*@example.com); phone numbers and web3 wallets are not supported.',
      meta: { param_name: 'identifier' },
    })
  }
  return v
}

/** The characters Clerk treats as starting a subaddress in the local part. */
const SUBADDRESS = /[+=#]/

/** Whether an address has a subaddress (`ada+news@example.com`). */
export function hasSubaddress(email: string): boolean {
  const at = email.lastIndexOf('@')
  return at > 0 && SUBADDRESS.test(email.slice(0, at))
}

/** The address without its subaddress: `ada+news@example.com` → `ada@example.com`. */
export function withoutSubaddress(email: string): string {
  const at = email.lastIndexOf('@')
  if (at <= 0) return email
  const local = email.slice(0, at)
  const cut = local.search(SUBADDRESS)
  return cut <= 0 ? email : `${local.slice(0, cut)}${email.slice(at)}`
}

/**
 * The stored identifiers that would name an address: itself and its domain's wildcard. The
 * blocklist also matches the address stripped of a subaddress (Clerk: blocking an address blocks
 * its subaddressed forms), so `ada+x@example.com` cannot slip past a block of `ada@example.com`.
 */
export function candidatesFor(email: string, opts: { stripSubaddress: boolean }): string[] {
  const e = email.trim().toLowerCase()
  const domain = e.slice(e.lastIndexOf('@') + 1)
  const out = new Set([e, `*@${domain}`])
  if (opts.stripSubaddress) out.add(withoutSubaddress(e))
  return [...out]
}
