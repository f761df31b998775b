import type { MailMessage, RenderedMail } from './mail-message.js'

/** Who a message is about, when the flow knows (Clerk's `email_address_id`, `user_id`). */
export type MailAbout = { emailAddressId?: string | null; userId?: string | null }

/** Clerk's template slugs for the messages Latchkey sends. */
const SLUGS: Record<MailMessage['kind'], string> = {
  verification_code: 'verification_code',
  verification_link: 'magic_link_sign_in',
  reset_password_code: 'reset_password_code',
}

/**
 * The `email.created` event's data: Clerk's Email resource (`EmailEventPayload`) for one queued
 * message. `delivered_by_clerk` is false when the instance's `email_delivery` is `webhook_only`:
 * the operator sends it through their own provider, from this event.
 */
export function emailJSON(
  id: string,
  to: string,
  message: MailMessage,
  rendered: RenderedMail,
  about: MailAbout,
  from: string,
  deliveredByLatchkey: boolean,
) {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from
  return {
    object: 'email' as const,
    id,
    slug: message.kind === 'verification_link' ? linkSlug(message) : SLUGS[message.kind],
    from_email_name: address.split('@')[0] ?? address,
    reply_to_email_name: null,
    to_email_address: to,
    email_address_id: about.emailAddressId ?? null,
    user_id: about.userId ?? null,
    subject: rendered.subject,
    body: rendered.html,
    body_plain: rendered.text,
    status: 'queued',
    data: message.kind === 'verification_link' ? { url: message.url } : { otp_code: message.code },
    delivered_by_clerk: deliveredByLatchkey,
  }
}

function linkSlug(message: Extract<MailMessage, { kind: 'verification_link' }>): string {
  if (message.purpose === 'sign_up') return 'magic_link_sign_up'
  if (message.purpose === 'add_email') return 'magic_link_user_profile'
  return 'magic_link_sign_in'
}
