import type { User } from './types.ts'

const DATE_TIME = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' })

/** A Unix-ms timestamp for people (`—` for none). */
export function when(ms: number | null | undefined): string {
  return ms ? DATE_TIME.format(new Date(ms)) : '—'
}

export function primaryEmail(user: User): string | null {
  const primary = user.email_addresses.find((e) => e.id === user.primary_email_address_id)
  return (primary ?? user.email_addresses[0])?.email_address ?? null
}

export function fullName(user: Pick<User, 'first_name' | 'last_name'>): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ')
}

/** How a page names a user: email, else name, else username, else id. */
export function userLabel(user: User): string {
  return primaryEmail(user) ?? (fullName(user) || user.username || user.id)
}
