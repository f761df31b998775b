/** Why a verification is sent: the flow that asked for it. */
export type MailPurpose = 'sign_up' | 'sign_in' | 'add_email'

/**
 * What a flow asks the mail service to send (`services.mail.enqueue`). The service renders it
 * (mail-templates.ts): the flow never writes a subject or a body.
 */
export type MailMessage =
  | { kind: 'verification_code'; code: string; purpose: MailPurpose }
  | { kind: 'verification_link'; url: string; purpose: MailPurpose }
  | { kind: 'reset_password_code'; code: string }

/** A message ready to send: what the outbox stores (the bodies sealed) and a transport sends. */
export type RenderedMail = {
  readonly subject: string
  readonly text: string
  readonly html: string
}

/** One message leaving the outbox for a transport. */
export type OutgoingMail = RenderedMail & {
  /** The outbox row's id. */
  readonly id: string
  readonly to: string
  readonly from: string
  /** Fixed when the message was queued, so a retry is the same message (`<id@host>`). */
  readonly messageId: string
  readonly createdAt: number
}

/** How long the codes and links the templates name stay valid (the verification engine's). */
export const VERIFICATION_LIFETIME_MINUTES = 10
