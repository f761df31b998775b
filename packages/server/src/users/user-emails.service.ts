import { ApiError, newId } from '@latchkey/contracts'
import {
  type EmailAddressRow,
  fromDbBool,
  isUniqueViolation,
  toDbBool,
  type VerificationRow,
} from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import {
  attemptEmailVerification,
  completeLinkedEmail,
  prepareEmailVerification,
} from './user-email-verification.js'
import { userUpdatedIn } from './user-events.js'
import { emailsToJSON } from './users.mapper.js'
import * as repo from './users.repository.js'
import type { UserWithEmails } from './users.service.js'

/** Addresses one user may have: plenty for a person, too few to hoard addresses of others. */
export const MAX_EMAILS_PER_USER = 20

const notFound = (id: string) =>
  ApiError.of('resource_not_found', { longMessage: `No email address was found with id ${id}.` })

const taken = (longMessage: string, cause?: unknown) =>
  ApiError.of('form_identifier_exists', {
    longMessage,
    meta: { param_name: 'email_address' },
    cause,
  })

/**
 * A user's own email addresses, as the profile manages them (Clerk's `/v1/me/email_addresses`):
 * add one (unverified, proved through ./user-email-verification.ts), read, remove, and choose
 * the primary among verified ones.
 */
export class UserEmailsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** The user with their addresses and the addresses' verifications, as rendered. */
  withEmails(userId: string): Promise<UserWithEmails> {
    return this.d.services.users.withEmails(userId)
  }

  async list(userId: string): Promise<EmailAddressRow[]> {
    return (await this.withEmails(userId)).emails
  }

  /** One of the user's addresses; another user's is indistinguishable from none (404). */
  async get(userId: string, emailId: string): Promise<EmailAddressRow> {
    const found = (await this.list(userId)).find((e) => e.id === emailId)
    if (!found) throw notFound(emailId)
    return found
  }

  /**
   * Adds an unverified address (Clerk's `POST /v1/me/email_addresses`). An address any user has
   * is refused — Clerk's `form_identifier_exists` — whether another's or the user's own; the
   * instance's blocklist holds (see `SignUpPolicyService.assertMayAddEmail`).
   */
  async add(userId: string, emailAddress: string): Promise<EmailAddressRow> {
    const address = emailAddress.trim().toLowerCase()
    const mine = await this.list(userId)
    if (mine.some((e) => e.email_address === address))
      throw taken('This email address is already on your account.')
    if (mine.length >= MAX_EMAILS_PER_USER) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `An account can have at most ${MAX_EMAILS_PER_USER} email addresses.`,
        meta: { param_name: 'email_address' },
      })
    }
    await this.d.services.signUpPolicy.assertMayAddEmail(address)
    const now = this.d.clock.now()
    const row: EmailAddressRow = {
      id: newId('email'),
      user_id: userId,
      email_address: address,
      verified: toDbBool(false),
      created_at: now,
      updated_at: now,
    }
    try {
      await this.d.db.transaction().execute(async (trx) => {
        if ((await repo.existingEmails(trx, [address])).length > 0)
          throw taken('That email address is taken. Please try another.')
        await repo.releaseEmails(trx, [row.email_address])
        await repo.insertEmail(trx, row)
        await repo.updateUserRow(trx, userId, { updated_at: now })
        await userUpdatedIn(this.d, trx, userId)
      })
    } catch (error) {
      // Two requests racing for one address: the unique index decides.
      if (isUniqueViolation(error))
        throw taken('That email address is taken. Please try another.', error)
      throw error
    }
    return row
  }

  /**
   * Removes an address and its pending verification. The primary one stays (choose another
   * primary first, as in Clerk): checked in the statement that deletes, after taking the user's
   * row lock, so a concurrent change of the primary cannot leave it naming a deleted address.
   */
  async remove(userId: string, emailId: string): Promise<void> {
    await this.get(userId, emailId)
    const now = this.d.clock.now()
    const deleted = await this.d.db
      .transaction()
      .execute(async (trx) => {
        const done = await repo.deleteEmailOfUser(trx, userId, emailId, now)
        // Nothing deleted: undo the stamp, then say why.
        if (!done) throw new NotDeleted()
        await userUpdatedIn(this.d, trx, userId)
        return done
      })
      .catch((error: unknown) => {
        if (error instanceof NotDeleted) return false
        throw error
      })
    if (deleted) return
    const { user } = await this.withEmails(userId)
    if (user.primary_email_address_id !== emailId) throw notFound(emailId)
    throw ApiError.of('form_param_value_invalid', {
      longMessage: 'The primary email address cannot be removed; make another one primary first.',
      meta: { param_name: 'email_id' },
    })
  }

  /** `POST …/{id}/prepare_verification`: mails a code or a link to one of the user's addresses. */
  async prepareVerification(
    userId: string,
    emailId: string,
    input: { strategy: string; redirectUrl?: string | undefined; clientId: string },
    device: Device,
  ): Promise<void> {
    await prepareEmailVerification(this.d, await this.get(userId, emailId), input, device)
  }

  /** `POST …/{id}/attempt_verification`: the code proves the address, which becomes verified. */
  async attemptVerification(
    userId: string,
    emailId: string,
    input: { code: string; clientId: string },
    device: Device,
  ): Promise<void> {
    await attemptEmailVerification(this.d, await this.get(userId, emailId), input, device)
  }

  /** An email link for an added address, opened in the browser that asked. */
  completeLinked(proof: VerificationRow): Promise<{ createdSessionId: null }> {
    return completeLinkedEmail(this.d, proof)
  }

  /** One of the user's addresses in Clerk's shape, with its verification. */
  async toJSON(userId: string, emailId: string) {
    const found = await this.withEmails(userId)
    const json = emailsToJSON(found.emails, found.verifications, this.d.clock.now())
    const one = json.find((e) => e.id === emailId)
    if (!one) throw notFound(emailId)
    return one
  }

  /** All of the user's addresses in Clerk's shape. */
  async listJSON(userId: string) {
    const found = await this.withEmails(userId)
    return emailsToJSON(found.emails, found.verifications, this.d.clock.now())
  }

  /** Clerk makes only a verified address primary: an unproved one must not receive the mail. */
  async assertMayBePrimary(userId: string, emailId: string): Promise<void> {
    const email = await this.get(userId, emailId)
    if (!fromDbBool(email.verified)) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'Only a verified email address can be made primary.',
        meta: { param_name: 'primary_email_address_id' },
      })
    }
  }
}

/** A conditional delete that matched nothing, rolling its transaction back. */
class NotDeleted extends Error {}
