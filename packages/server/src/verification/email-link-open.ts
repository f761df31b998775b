import { ApiError } from '@latchkey/contracts'
import type { VerificationRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { emailLink } from './strategies/email-link.js'
import { findBySecret } from './verifications.repository.js'

/** What opening an email link did, in Clerk's `__clerk_status` words. */
export type LinkOutcome = {
  status: 'verified' | 'expired' | 'failed' | 'client_mismatch'
  redirectUrl: string | null
  createdSessionId?: string | null
  newClientToken?: string
}

/** What a verified link completes, by its owner's kind (the id's prefix). */
type Completion = (
  d: ServiceDeps,
  row: VerificationRow,
  device: Device,
) => Promise<{ createdSessionId: string | null; newClientToken?: string }>

const COMPLETIONS: Record<string, Completion> = {
  sia: async (d, row, device) => {
    const r = await d.services.signIns.completeLinked(row, device)
    return { createdSessionId: r.signIn.created_session_id, ...r }
  },
  sua: async (d, row, device) => {
    const r = await d.services.signUps.completeLinked(row.owner_id, device)
    return { createdSessionId: r.signUp.created_session_id, ...r }
  },
  // A signed-in user's added address (`/v1/me/email_addresses/{id}/prepare_verification`).
  idn: (d, row) => d.services.userEmails.completeLinked(row),
}

/**
 * `GET /v1/verify?token=`: the engine counts the attempt and claims the row once; the link's
 * strategy checks it was opened by the client that asked; the owner's flow completes.
 */
export async function openEmailLink(
  d: ServiceDeps,
  token: string,
  clientId: string | undefined,
  device: Device,
): Promise<LinkOutcome> {
  const row = await findBySecret(d.db, d.services.verifications.secrets.lookup(token))
  if (!row) return { status: 'failed', redirectUrl: null }
  const redirectUrl = row.redirect_url
  const complete = COMPLETIONS[row.owner_id.split('_')[0] ?? '']
  try {
    if (!complete) throw ApiError.of('verification_missing')
    const verified = await d.services.verifications.attemptRow(
      emailLink,
      row,
      undefined,
      clientId,
      { token },
      device,
    )
    const done = await complete(d, verified, device)
    return { status: 'verified', redirectUrl, ...done }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const status =
      error.code === 'verification_expired'
        ? 'expired'
        : error.code === 'verification_client_mismatch'
          ? 'client_mismatch'
          : 'failed'
    return { status, redirectUrl }
  }
}
