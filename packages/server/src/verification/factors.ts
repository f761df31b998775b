import type { FactorSubject, SignInFactor } from './strategy.js'

/**
 * An address as a sign-in may show it: whole when the person typed it, otherwise masked
 * (`j***n@example.com`), so signing in by username does not reveal the account's address.
 */
export function safeIdentifier(address: string, typed: boolean): string {
  if (typed) return address
  const at = address.lastIndexOf('@')
  const local = address.slice(0, at)
  const masked = local.length <= 2 ? `${local[0] ?? ''}***` : `${local[0]}***${local.at(-1)}`
  return `${masked}${address.slice(at)}`
}

/**
 * The email factors of a strategy for one sign-in: for the address it was started with, else
 * the primary address (Clerk's `supported_first_factors` entries with `email_address_id`).
 */
export function emailFactors(strategy: string, s: FactorSubject): SignInFactor[] {
  const id = s.identifierEmailId ?? s.user.primary_email_address_id
  const email = s.emails.find((e) => e.id === id)
  if (!email) return []
  return [
    {
      strategy,
      safe_identifier: safeIdentifier(email.email_address, s.identifierEmailId === email.id),
      email_address_id: email.id,
      primary: email.id === s.user.primary_email_address_id,
    },
  ]
}
