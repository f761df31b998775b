import { ApiError } from '@latchkey/contracts'
import { type EmailAddressRow, fromDbBool } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './users.repository.js'

const notFound = (id: string) =>
  ApiError.of('resource_not_found', { longMessage: `No email address was found with id ${id}.` })

/**
 * A user's own email addresses, as the profile manages them (Clerk's `/v1/me/email_addresses`).
 * Adding one needs its verification, which is issue #16; reading, removing and choosing the
 * primary among verified ones do not.
 */
export class UserEmailsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  async list(userId: string): Promise<EmailAddressRow[]> {
    return (await this.d.services.users.withEmails(userId)).emails
  }

  /** One of the user's addresses; another user's is indistinguishable from none (404). */
  async get(userId: string, emailId: string): Promise<EmailAddressRow> {
    const found = (await this.list(userId)).find((e) => e.id === emailId)
    if (!found) throw notFound(emailId)
    return found
  }

  /**
   * Removes an address. The primary one stays (choose another primary first, as in Clerk), so
   * the account always keeps the address it signs in and is reached with.
   */
  async remove(userId: string, emailId: string): Promise<void> {
    const { user } = await this.d.services.users.withEmails(userId)
    await this.get(userId, emailId)
    if (user.primary_email_address_id === emailId) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'The primary email address cannot be removed; make another one primary first.',
        meta: { param_name: 'email_id' },
      })
    }
    const now = this.d.clock.now()
    await this.d.db
      .transaction()
      .execute((trx) => repo.deleteEmailOfUser(trx, userId, emailId, now))
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
