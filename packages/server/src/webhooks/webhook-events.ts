/**
 * The events Latchkey emits, named and shaped as Clerk's webhooks catalogue
 * (`webhooks-2025-04-15.yml`). `data` is exactly the Backend API's resource at the moment of the
 * change (for a deletion, Clerk's `{ object, id, deleted: true }`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'email.created',
  'session.created',
  'session.ended',
  'session.removed',
  'session.revoked',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** The request that caused an event, as Clerk reports it in `event_attributes.http_request`. */
export type EventCause = { ipAddress?: string | undefined; userAgent?: string | undefined }

/** The envelope every endpoint receives, the `svix-id` aside. */
export type WebhookEnvelope = {
  data: unknown
  object: 'event'
  type: WebhookEventType
  timestamp: number
  instance_id: string
  event_attributes: { http_request: { client_ip: string; user_agent: string } }
}
