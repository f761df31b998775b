import type { NewWebhookEvent, Write } from '@latchkey/db'

/** The write that records one event (part of the caller's atomic group). */
export function insertEvent(row: NewWebhookEvent): Write {
  return (q) => q.insertInto('webhook_events').values(row)
}
