import { ApiError, newId } from '@latchkey/contracts'
import {
  type Database,
  type EmailAddressRow,
  fromDbBool,
  isUniqueViolation,
  toDbBool,
} from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Clock } from '../lib/clock.js'
import * as repo from './users.repository.js'
import type { UsersService } from './users.service.js'

export type CreateEmailInput = {
  userId: string
  emailAddress: string
  verified?: boolean | undefined
  primary?: boolean | undefined
}
export type UpdateEmailInput = { verified?: boolean | undefined; primary?: boolean | undefined }

const notFound = (id: string) =>
  ApiError.of('resource_not_found', { longMessage: `No email address was found with id ${id}.` })

const primaryMustBeVerified = () =>
  ApiError.of('form_param_value_invalid', {
    longMessage: 'Only a verified email address can be made primary.',
    meta: { param_name: 'primary' },
  })

/**
 * Clerk's Backend API `email_addresses` resource: an operator adds an address to a user (verified
 * when it says so: it vouches, as for `POST /v1/users`), reads, updates and removes one. The
 * rules are the profile's: only a verified address is made primary, the primary stays.
 */
export class EmailAddressesService {
  private readonly d: { db: Kysely<Database>; clock: Clock; users: UsersService }

  constructor(deps: { db: Kysely<Database>; clock: Clock; users: UsersService }) {
    this.d = deps
  }

  async get(id: string): Promise<EmailAddressRow> {
    const row = await repo.findEmailById(this.d.db, id)
    if (!row) throw notFound(id)
    return row
  }

  async create(input: CreateEmailInput): Promise<EmailAddressRow> {
    const user = await this.d.users.getById(input.userId)
    const verified = input.verified === true
    if (input.primary && !verified) throw primaryMustBeVerified()
    const now = this.d.clock.now()
    const row: EmailAddressRow = {
      id: newId('email'),
      user_id: user.id,
      email_address: input.emailAddress.trim().toLowerCase(),
      verified: toDbBool(verified),
      created_at: now,
      updated_at: now,
    }
    // Clerk: primary when asked, or when the user has none yet (their first address).
    const primary = input.primary === true || user.primary_email_address_id === null
    try {
      await this.d.db.transaction().execute(async (trx) => {
        if ((await repo.existingEmails(trx, [row.email_address])).length > 0) throw taken()
        await repo.releaseEmails(trx, [row.email_address])
        await repo.insertEmail(trx, row)
        await repo.updateUserRow(trx, user.id, {
          updated_at: now,
          ...(primary ? { primary_email_address_id: row.id } : {}),
        })
        await this.d.users.emitUpdatedIn(trx, user.id)
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw taken(error)
      throw error
    }
    return row
  }

  async update(id: string, input: UpdateEmailInput): Promise<EmailAddressRow> {
    const row = await this.get(id)
    const user = await this.d.users.getById(row.user_id)
    const isPrimary = user.primary_email_address_id === id
    const verified = input.verified ?? fromDbBool(row.verified)
    if (input.primary && !verified) throw primaryMustBeVerified()
    if (isPrimary && input.verified === false) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage:
          'The primary email address cannot be marked unverified; make another one primary first.',
        meta: { param_name: 'verified' },
      })
    }
    const now = this.d.clock.now()
    await this.d.db.transaction().execute(async (trx) => {
      if (input.verified !== undefined)
        await repo.setEmailVerified(trx, id, toDbBool(input.verified), now)
      // The user's `updated_at` moves with any change of theirs (receivers order by it).
      await repo.updateUserRow(trx, row.user_id, {
        ...(input.primary && !isPrimary ? { primary_email_address_id: id } : {}),
        updated_at: now,
      })
      await this.d.users.emitUpdatedIn(trx, row.user_id)
    })
    return this.get(id)
  }

  /** Removes an address; the primary one stays (make another primary first, as in Clerk). */
  async remove(id: string): Promise<void> {
    const row = await this.get(id)
    const user = await this.d.users.getById(row.user_id)
    if (user.primary_email_address_id === id) throw primaryStays()
    // The conditional delete decides (a concurrent change of the primary may have won).
    await this.d.db.transaction().execute(async (trx) => {
      if (!(await repo.deleteEmailOfUser(trx, row.user_id, id, this.d.clock.now())))
        throw primaryStays()
      await this.d.users.emitUpdatedIn(trx, row.user_id)
    })
  }
}

const primaryStays = () =>
  ApiError.of('form_param_value_invalid', {
    longMessage: 'The primary email address cannot be removed; make another one primary first.',
    meta: { param_name: 'email_address_id' },
  })

function taken(cause?: unknown): ApiError {
  return ApiError.of('form_identifier_exists', {
    longMessage: 'That email address is taken. Please try another.',
    meta: { param_name: 'email_address' },
    cause,
  })
}
