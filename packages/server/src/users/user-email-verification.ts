import { ApiError } from '@latchkey/contracts'
import {
  type EmailAddressRow,
  fromDbBool,
  type VerificationRow,
  writeAtomically,
} from '@latchkey/db'
import { runWrite } from '../lib/run-write.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import type { VerificationTarget } from '../verification/strategy.js'
import { touchedAndUpdatedIn } from './user-events.js'
import * as repo from './users.repository.js'

/**
 * Proving an address a signed-in user added (Clerk's `/v1/me/email_addresses/{id}/
 * prepare_verification` and `…/attempt_verification`), through the verification engine: the
 * verification is owned by the address (`idn_…`, slot `email_address`), so the address renders
 * it and it dies with the address. Every change to it stamps the address, which is what the
 * change feed sees: the cached user (token claims, the client's rendering) reloads at once.
 */

/** The strategies that prove an added address, as the instance enables them. */
async function strategies(d: ServiceDeps): Promise<string[]> {
  const { first_factors } = await d.services.instance.settings()
  return (['email_code', 'email_link'] as const).filter((s) => first_factors[s])
}

function assertUnverified(email: EmailAddressRow): void {
  if (fromDbBool(email.verified)) throw ApiError.of('verification_already_verified')
}

/** Sends a code or a link to the address; a new one replaces the last (the engine's cooldown). */
export async function prepareEmailVerification(
  d: ServiceDeps,
  email: EmailAddressRow,
  input: { strategy: string; redirectUrl?: string | undefined; clientId: string },
  device: Device,
): Promise<void> {
  assertUnverified(email)
  const { verifications } = d.services
  const strategy = verifications.strategy(input.strategy, await strategies(d))
  const target: VerificationTarget = {
    ownerId: email.id,
    slot: 'email_address',
    purpose: 'add_email',
    emailAddress: email.email_address,
    emailAddressId: email.id,
    clientId: input.clientId,
  }
  const writes = await verifications.prepare(strategy, target, input, device)
  await writeAtomically(d.db, d.dialect, [...writes, repo.emailStamp(email.id, d.clock.now())])
  d.services.mail.kick()
}

/**
 * Attempts the address's code. Proved, the address is verified. A wrong code still stamps the
 * address, so its rendered `attempts` and `failed` status are fresh.
 */
export async function attemptEmailVerification(
  d: ServiceDeps,
  email: EmailAddressRow,
  input: { code: string; clientId: string },
  device: Device,
): Promise<void> {
  assertUnverified(email)
  const { verifications } = d.services
  const strategy = verifications.strategy('email_code', ['email_code'])
  const owner = { id: email.id, slot: 'email_address' as const, clientId: input.clientId }
  try {
    await verifications.attempt(strategy, owner, undefined, { code: input.code }, device)
  } catch (error) {
    // Proved before, but the address was not marked (a crash between the two writes): mark it.
    const proved = (await verifications.find(email.id, 'email_address'))?.status === 'verified'
    if (!(error instanceof ApiError && error.code === 'verification_already_verified' && proved)) {
      await writeAtomically(d.db, d.dialect, [repo.emailStamp(email.id, d.clock.now())])
      throw error
    }
  }
  await markVerified(d, email.id)
}

/** An email link opened in the browser that asked (the engine checked): the address is proved. */
export async function completeLinkedEmail(
  d: ServiceDeps,
  proof: VerificationRow,
): Promise<{ createdSessionId: null }> {
  await markVerified(d, proof.owner_id)
  return { createdSessionId: null }
}

/** The address proved, with its user's `user.updated`, in one transaction. */
function markVerified(d: ServiceDeps, emailId: string): Promise<void> {
  return d.db.transaction().execute(async (trx) => {
    await runWrite(trx, repo.emailVerifiedUpdate(emailId, d.clock.now()))
    const email = await repo.findEmailById(trx, emailId)
    if (email) await touchedAndUpdatedIn(d, trx, email.user_id)
  })
}
