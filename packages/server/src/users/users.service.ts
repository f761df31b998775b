import { ApiError, newId } from '@latchkey/contracts'
import {
  type Database,
  type EmailAddressRow,
  type ExternalAccountRow,
  fromDbJson,
  isUniqueViolation,
  type JsonObject,
  type NewUser,
  type PasskeyRow,
  RowCache,
  toDbBool,
  toDbJson,
  type UserRow,
  type UserUpdate,
  type VerificationRow,
  type Write,
  writeAtomically,
} from '@latchkey/db'
import type { Transaction } from 'kysely'
import { deepMerge } from '../lib/json.js'
import { assertPasswordAllowed } from '../lib/password-policy.js'
import {
  hashPassword,
  isValidDigest,
  type PasswordHasher,
  verifyPassword as verifyDigest,
} from '../lib/passwords.js'
import { runWrite } from '../lib/run-write.js'
import type { ServiceDeps } from '../service-deps.js'
import { type PasswordAttempt, type PasswordCheck, PasswordChecks } from './password-checks.js'
import { claimSecondFactor, type SecondFactorClaim } from './second-factor-lockout.js'
import { userDeletedEvent, userEvent, userUpdatedIn } from './user-events.js'
import { type UserJSON, userToJSON } from './users.mapper.js'
import * as repo from './users.repository.js'

export type PasswordInput = {
  password?: string | undefined
  passwordDigest?: string | undefined
  passwordHasher?: PasswordHasher | undefined
  skipPasswordChecks?: boolean | undefined
}

export type CreateUserInput = PasswordInput & {
  emailAddress?: string[] | undefined
  /**
   * Whether the addresses are known to belong to the user. Only an operator (the Backend API)
   * may say so; an address typed into a public form is unverified until proved (issue #13).
   * Unverified unless said.
   */
  emailsVerified?: boolean | undefined
  username?: string | undefined
  firstName?: string | null | undefined
  lastName?: string | null | undefined
  externalId?: string | null | undefined
  publicMetadata?: JsonObject | undefined
  privateMetadata?: JsonObject | undefined
  unsafeMetadata?: JsonObject | undefined
}

export type UpdateUserInput = PasswordInput & {
  username?: string | null | undefined
  firstName?: string | null | undefined
  lastName?: string | null | undefined
  externalId?: string | null | undefined
  primaryEmailAddressId?: string | undefined
  publicMetadata?: JsonObject | undefined
  privateMetadata?: JsonObject | undefined
  unsafeMetadata?: JsonObject | undefined
  signOutOfOtherSessions?: boolean | undefined
  /** With `signOutOfOtherSessions`: the session that stays (the profile's own). */
  keepSessionId?: string | undefined
}

export type MetadataInput = {
  publicMetadata?: JsonObject | undefined
  privateMetadata?: JsonObject | undefined
  unsafeMetadata?: JsonObject | undefined
}

/** A user validated and hashed, ready to insert. */
export type PreparedUser = { user: NewUser & { id: string }; emails: EmailAddressRow[] }

const normEmail = (e: string) => e.trim().toLowerCase()
const normUsername = (u: string) => u.trim().toLowerCase()

/** A user row with its email addresses. */
/** A user, their addresses and the addresses' own verifications (`/v1/me/email_addresses`). */
export type UserWithEmails = {
  user: UserRow
  emails: EmailAddressRow[]
  verifications: VerificationRow[]
  /** The user's verified passkeys (the resource's `passkeys`; each change stamps the user). */
  passkeys: PasskeyRow[]
  /** Accounts at upstream providers (issue #18); absent reads as none. */
  externalAccounts?: ExternalAccountRow[]
}

const notOneOfTheUsers = () =>
  ApiError.of('form_param_value_invalid', {
    longMessage: 'primary_email_address_id must be one of the user’s email addresses.',
    meta: { param_name: 'primary_email_address_id' },
  })

export class UsersService {
  private readonly d: ServiceDeps
  readonly #withEmails: RowCache<UserWithEmails>
  readonly #passwords: PasswordChecks

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#withEmails = new RowCache(deps.changes)
    this.#passwords = new PasswordChecks(deps)
  }

  /** Clerk's user JSON for one row; `includePrivate` is false for the Frontend API. */
  async toJSON(user: UserRow, includePrivate = true): Promise<UserJSON> {
    const emails = await repo.emailsForUsers(this.d.db, [user.id])
    const passkeys = await this.d.services.passkeys.listForUsers([user.id])
    return this.render(
      {
        user,
        emails,
        verifications: await this.verificationsOf(emails),
        passkeys,
        externalAccounts: await this.d.services.externalAccounts.accountsOfUsers([user.id]),
      },
      includePrivate,
    )
  }

  /** The verifications an address of the user's was sent (one indexed read, none without addresses). */
  private verificationsOf(emails: EmailAddressRow[]): Promise<VerificationRow[]> {
    return this.d.services.verifications.findByOwners(emails.map((e) => e.id))
  }

  private render(
    { user, emails, verifications, passkeys, externalAccounts }: UserWithEmails,
    includePrivate: boolean,
  ): UserJSON {
    return userToJSON(user, emails, {
      verifications,
      passkeys,
      externalAccounts: externalAccounts ?? [],
      now: this.d.clock.now(),
      includePrivate,
      // As this process last read the settings, like deleteSelfEnabled below.
      lockoutAttempts: this.d.services.instance.lastLockout().attempts,
      baseUrl: this.d.config.url,
      // Settings as this process last read them (every request reads them within 5 s).
      deleteSelfEnabled: this.d.services.instance.lastSettings?.delete_self_enabled ?? true,
    })
  }

  /** Records `user.updated` in the caller's transaction, after its writes (user-events.ts). */
  emitUpdatedIn(trx: Transaction<Database>, id: string): Promise<void> {
    return userUpdatedIn(this.d, trx, id)
  }

  /** Clerk's Backend API user JSON of a user read with their emails (no reads). */
  toBackendJSON(found: UserWithEmails): UserJSON {
    return this.render(found, true)
  }

  /** Clerk's Frontend API user JSON (no private metadata) of a user read with their emails. */
  toFrontendJSON(found: UserWithEmails): UserJSON {
    return this.render(found, false)
  }

  /**
   * A user and their email addresses, kept in memory until either changes: token claims and the
   * Frontend API's rendering read them on every call.
   */
  findWithEmails(id: string): Promise<UserWithEmails | undefined> {
    return this.#withEmails.get(
      id,
      async () => {
        const user = await repo.findUserById(this.d.db, id)
        if (!user) return undefined
        const emails = await repo.emailsForUsers(this.d.db, [id])
        const passkeys = await this.d.services.passkeys.listForUsers([id])
        // Verification rows are not in the change feed: every change to one stamps its address.
        // An external account is linked in the group that signs its user in (a user stamp).
        return {
          user,
          emails,
          verifications: await this.verificationsOf(emails),
          passkeys,
          externalAccounts: await this.d.services.externalAccounts.accountsOfUsers([id]),
        }
      },
      () => [`user:${id}`],
    )
  }

  async withEmails(id: string): Promise<UserWithEmails> {
    const found = await this.findWithEmails(id)
    if (!found)
      throw ApiError.of('resource_not_found', { longMessage: `No user was found with id ${id}.` })
    return found
  }

  findById(id: string): Promise<UserRow | undefined> {
    return repo.findUserById(this.d.db, id)
  }

  async getById(id: string): Promise<UserRow> {
    const user = await repo.findUserById(this.d.db, id)
    if (!user)
      throw ApiError.of('resource_not_found', { longMessage: `No user was found with id ${id}.` })
    return user
  }

  /** Finds the user an identifier (email address or username) names. */
  async findByIdentifier(identifier: string): Promise<UserRow | undefined> {
    const value = identifier.trim().toLowerCase()
    if (value.includes('@')) return repo.findUserByEmail(this.d.db, value)
    return repo.findUserByUsername(this.d.db, value)
  }

  async create(input: CreateUserInput): Promise<UserRow> {
    const prepared = await this.prepare(input)
    const writes = await this.insertWrites(prepared)
    try {
      await writeAtomically(this.d.db, this.d.dialect, [
        ...writes,
        userEvent(this.d, 'user.created', this.preparedRows(prepared)),
      ])
    } catch (error) {
      throw this.identifierRace(error)
    }
    return this.getById(prepared.user.id)
  }

  /**
   * A prepared user as its rows will read once inserted (column defaults filled in), for the
   * `user.created` event written in the same group.
   */
  preparedRows(p: PreparedUser, externalAccounts: ExternalAccountRow[] = []): UserWithEmails {
    const user: UserRow = {
      profile_image_id: null,
      failed_attempts: 0,
      throttled_until: null,
      totp_enabled: 0,
      backup_code_enabled: 0,
      second_factor_failures: 0,
      second_factor_locked_until: null,
      ...p.user,
    } as UserRow
    return { user, emails: p.emails, verifications: [], passkeys: [], externalAccounts }
  }

  /**
   * Validates and hashes outside any transaction (argon2id takes tens of milliseconds; SQLite
   * must not be held that long), producing the rows {@link insertWrites} writes.
   */
  async prepare(input: CreateUserInput): Promise<PreparedUser> {
    const now = this.d.clock.now()
    const emails = [...new Set((input.emailAddress ?? []).map(normEmail))]
    const username = input.username === undefined ? null : normUsername(input.username)
    const password = await this.passwordColumns(input, now)
    const id = newId('user')
    const emailRows: EmailAddressRow[] = emails.map((email_address) => ({
      id: newId('email'),
      user_id: id,
      email_address,
      verified: toDbBool(input.emailsVerified === true),
      created_at: now,
      updated_at: now,
    }))
    const user: NewUser & { id: string } = {
      id,
      external_id: input.externalId ?? null,
      username,
      first_name: input.firstName ?? null,
      last_name: input.lastName ?? null,
      image_url: null,
      password_digest: password.password_digest ?? null,
      password_hasher: password.password_hasher ?? null,
      password_updated_at: password.password_updated_at ?? null,
      public_metadata: toDbJson(input.publicMetadata ?? {}),
      private_metadata: toDbJson(input.privateMetadata ?? {}),
      unsafe_metadata: toDbJson(input.unsafeMetadata ?? {}),
      banned: 0,
      locked: 0,
      lockout_until: null,
      primary_email_address_id: emailRows[0]?.id ?? null,
      last_sign_in_at: null,
      last_active_at: null,
      created_at: now,
      updated_at: now,
    }
    return { user, emails: emailRows }
  }

  /**
   * A prepared user's rows as writes of the caller's group (`writeAtomically`), after checking
   * its identifiers are free; wrap the group's failure in {@link identifierRace}. The email
   * insert has one shape per count of addresses (at most 20: the Backend API's limit).
   */
  async insertWrites(p: PreparedUser): Promise<Write[]> {
    await this.assertIdentifiersFree(
      this.d.db,
      p.emails.map((e) => e.email_address),
      p.user.username ?? null,
      p.user.external_id ?? null,
    )
    await repo.releaseEmails(
      this.d.db,
      p.emails.map((e) => e.email_address),
    )
    return [repo.userInsert(p.user), ...(p.emails.length > 0 ? [repo.emailsInsert(p.emails)] : [])]
  }

  /** Marks an address proved (a code or link it received reached its owner): a group's write. */
  emailVerifiedWrite(emailId: string): Write {
    return repo.emailVerifiedUpdate(emailId, this.d.clock.now())
  }

  /** Refuses identifiers another user has (Clerk's `form_identifier_exists`), before any write. */
  assertIdentifiersAvailable(emails: string[], username: string | null): Promise<void> {
    return this.assertIdentifiersFree(this.d.db, emails, username, null)
  }

  /** A group that inserted a user failed: a unique violation means another request won the race. */
  identifierRace(error: unknown): unknown {
    return isUniqueViolation(error)
      ? ApiError.of('form_identifier_exists', { cause: error })
      : error
  }

  private async assertIdentifiersFree(
    trx: ServiceDeps['db'],
    emails: string[],
    username: string | null,
    externalId: string | null,
    exceptUserId?: string,
  ): Promise<void> {
    const taken = await repo.existingEmails(trx, emails)
    if (taken.length > 0) {
      throw ApiError.of('form_identifier_exists', {
        longMessage: 'That email address is taken. Please try another.',
        meta: { param_name: 'email_address' },
      })
    }
    if (username !== null) {
      const owner = await repo.findUserByUsername(trx, username)
      if (owner && owner.id !== exceptUserId) {
        throw ApiError.of('form_identifier_exists', {
          longMessage: 'That username is taken. Please try another.',
          meta: { param_name: 'username' },
        })
      }
    }
    if (externalId !== null) {
      const owner = await repo.findUserByExternalId(trx, externalId)
      if (owner && owner.id !== exceptUserId) {
        throw ApiError.of('form_identifier_exists', {
          longMessage: 'That external_id is taken.',
          meta: { param_name: 'external_id' },
        })
      }
    }
  }

  /** The password columns for a create or update, hashing a plain password with argon2id. */
  private async passwordColumns(input: PasswordInput, now: number): Promise<Partial<UserRow>> {
    if (input.password !== undefined && input.passwordDigest !== undefined) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'Give either password or password_digest, not both.',
        meta: { param_name: 'password_digest' },
      })
    }
    if (input.passwordDigest !== undefined) {
      const hasher = input.passwordHasher
      if (!hasher)
        throw ApiError.of('form_param_missing', { meta: { param_name: 'password_hasher' } })
      if (!isValidDigest(hasher, input.passwordDigest)) {
        throw ApiError.of('form_password_digest_invalid', {
          meta: { param_name: 'password_digest' },
        })
      }
      return {
        password_digest: input.passwordDigest,
        password_hasher: hasher,
        password_updated_at: now,
      }
    }
    if (input.password !== undefined) {
      if (!input.skipPasswordChecks) assertPasswordAllowed(input.password)
      else if (input.password.length === 0)
        throw ApiError.of('form_param_nil', { meta: { param_name: 'password' } })
      return {
        password_digest: await hashPassword(input.password),
        password_hasher: 'argon2id',
        password_updated_at: now,
      }
    }
    return {}
  }

  list(
    filter: repo.UserFilter,
    order: repo.UserOrder,
    limit: number,
    offset: number,
  ): Promise<UserRow[]> {
    return repo.listUsers(this.d.db, filter, order, limit, offset)
  }

  /** Renders many users with one query for their email addresses. */
  async toJSONMany(users: UserRow[]): Promise<UserJSON[]> {
    const emails = await repo.emailsForUsers(
      this.d.db,
      users.map((u) => u.id),
    )
    const verifications = await this.verificationsOf(emails)
    const passkeys = await this.d.services.passkeys.listForUsers(users.map((u) => u.id))
    const accounts = await this.d.services.externalAccounts.accountsOfUsers(users.map((u) => u.id))
    const byUser = new Map<string, EmailAddressRow[]>()
    for (const e of emails) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e])
    return users.map((user) => {
      const mine = byUser.get(user.id) ?? []
      const ids = new Set(mine.map((e) => e.id))
      const own = verifications.filter((v) => ids.has(v.owner_id))
      const keys = passkeys.filter((p) => p.user_id === user.id)
      const externalAccounts = accounts.filter((a) => a.user_id === user.id)
      return this.render(
        { user, emails: mine, verifications: own, passkeys: keys, externalAccounts },
        true,
      )
    })
  }

  count(filter: repo.UserFilter): Promise<number> {
    return repo.countUsers(this.d.db, filter)
  }

  async update(id: string, input: UpdateUserInput): Promise<UserRow> {
    const user = await this.getById(id)
    const now = this.d.clock.now()
    const patch: UserUpdate = { updated_at: now, ...(await this.passwordColumns(input, now)) }
    if (input.firstName !== undefined) patch.first_name = input.firstName
    if (input.lastName !== undefined) patch.last_name = input.lastName
    if (input.username !== undefined)
      patch.username = input.username === null ? null : normUsername(input.username)
    if (input.externalId !== undefined) patch.external_id = input.externalId
    if (input.publicMetadata !== undefined) patch.public_metadata = toDbJson(input.publicMetadata)
    if (input.privateMetadata !== undefined)
      patch.private_metadata = toDbJson(input.privateMetadata)
    if (input.unsafeMetadata !== undefined) patch.unsafe_metadata = toDbJson(input.unsafeMetadata)
    if (input.primaryEmailAddressId !== undefined) {
      const emails = await repo.emailsForUsers(this.d.db, [id])
      if (!emails.some((e) => e.id === input.primaryEmailAddressId)) throw notOneOfTheUsers()
      patch.primary_email_address_id = input.primaryEmailAddressId
    }
    try {
      await this.d.db.transaction().execute(async (trx) => {
        await this.assertIdentifiersFree(
          trx,
          [],
          typeof patch.username === 'string' ? patch.username : null,
          typeof patch.external_id === 'string' ? patch.external_id : null,
          id,
        )
        await repo.updateUserRow(trx, id, patch)
        // Checked again after the update took the user's row lock: an address deleted by a
        // request that held it first is gone now, and the primary must never name it (#16).
        const primary = patch.primary_email_address_id
        if (primary && !(await repo.isEmailOfUser(trx, id, primary))) throw notOneOfTheUsers()
        await userUpdatedIn(this.d, trx, id)
        // A new password ends the user's operator credentials, whatever else it signs out: it
        // is what an operator does after a leak, and a credential got with the old password
        // must not outlive it (operators/operator-credentials.service.ts).
        if (patch.password_digest)
          await this.d.services.operatorCredentials.revokeAllOfUser(id, trx)
        if (input.signOutOfOtherSessions && patch.password_digest) {
          const { sessions } = this.d.services
          if (input.keepSessionId) await sessions.revokeOthersOfUser(id, input.keepSessionId, trx)
          else await sessions.revokeAllForUser(id, trx)
        }
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw ApiError.of('form_identifier_exists', { cause: error })
      throw error
    }
    if (input.signOutOfOtherSessions && patch.password_digest) {
      // Applications the user signed in to are other devices too.
      await this.d.services.oauthApplications.endGrantsOfUser(user.id)
    }
    return this.getById(id)
  }

  /** Clerk's `PATCH /users/{id}/metadata`: a deep merge where `null` deletes a key. */
  async mergeMetadata(id: string, input: MetadataInput): Promise<UserRow> {
    return this.d.db.transaction().execute(async (trx) => {
      // Stamp first: the update takes the user's row lock (PostgreSQL), so the read below sees
      // every merge committed before this one and two concurrent merges cannot lose either.
      const patch: UserUpdate = { updated_at: this.d.clock.now() }
      await repo.updateUserRow(trx, id, patch)
      const user = await repo.findUserById(trx, id)
      if (!user)
        throw ApiError.of('resource_not_found', { longMessage: `No user was found with id ${id}.` })
      if (input.publicMetadata)
        patch.public_metadata = toDbJson(
          deepMerge(fromDbJson(user.public_metadata), input.publicMetadata),
        )
      if (input.privateMetadata)
        patch.private_metadata = toDbJson(
          deepMerge(fromDbJson(user.private_metadata), input.privateMetadata),
        )
      if (input.unsafeMetadata)
        patch.unsafe_metadata = toDbJson(
          deepMerge(fromDbJson(user.unsafe_metadata), input.unsafeMetadata),
        )
      await repo.updateUserRow(trx, id, patch)
      await userUpdatedIn(this.d, trx, id)
      return { ...user, ...patch } as UserRow
    })
  }

  async delete(id: string): Promise<void> {
    // Sessions, sign-ins and email addresses go with the user (ON DELETE CASCADE); the
    // deletion and its `user.deleted` event are one transaction.
    await this.d.db.transaction().execute(async (trx) => {
      if (!(await repo.deleteUserRow(trx, id))) {
        throw ApiError.of('resource_not_found', { longMessage: `No user was found with id ${id}.` })
      }
      await runWrite(trx, userDeletedEvent(this.d, id))
    })
    await this.d.services.oauthApplications.endGrantsOfUser(id)
  }

  /**
   * Ban or lock (and sign out everywhere, OAuth grants included), or lift either. Lifting does
   * not bring back what was ended.
   */
  async setFlag(id: string, flag: 'banned' | 'locked', value: boolean): Promise<UserRow> {
    await this.getById(id)
    const patch: UserUpdate = { [flag]: toDbBool(value), updated_at: this.d.clock.now() }
    if (flag === 'locked' && !value) {
      patch.lockout_until = null
      patch.throttled_until = null
      patch.failed_attempts = 0
      patch.second_factor_failures = 0
      patch.second_factor_locked_until = null
    }
    await this.d.db.transaction().execute(async (trx) => {
      await repo.updateUserRow(trx, id, patch)
      await userUpdatedIn(this.d, trx, id)
      if (value) await this.d.services.sessions.revokeAllForUser(id, trx)
    })
    if (value) await this.d.services.oauthApplications.endGrantsOfUser(id)
    return this.getById(id)
  }

  /**
   * Checks a password for sign-in or password change: the per-IP limit, the account's delay and
   * lockout, the known-device exemption (password-attempts.ts), and the re-hash of imported
   * digests to argon2id on success.
   */
  checkPassword(user: UserRow, password: string, from?: PasswordAttempt): Promise<PasswordCheck> {
    return this.#passwords.check(user, password, from)
  }

  /** A password for no account, checked as if there were one (password-checks.ts). */
  checkPasswordOfNoAccount(password: string, from?: PasswordAttempt): Promise<PasswordCheck> {
    return this.#passwords.checkNoAccount(password, from)
  }

  /**
   * Claims a second-factor attempt on the account before its code is compared (the per-account
   * limit of second-factor-lockout.ts), else 403 `user_locked`.
   */
  claimSecondFactor(user: UserRow, clientId: string | undefined): Promise<SecondFactorClaim> {
    return claimSecondFactor(this.d, user, clientId)
  }

  /** `POST /users/{id}/verify_password`: no lockout counting, no side effects. */
  async verifyPassword(id: string, password: string): Promise<boolean> {
    const user = await this.getById(id)
    if (user.password_digest === null || user.password_hasher === null) {
      throw ApiError.of('form_password_not_set', { meta: { param_name: 'password' } })
    }
    return verifyDigest(user.password_hasher, user.password_digest, password)
  }

  /** Stamps a completed sign-in, as one write of the caller's group. */
  signInStamp(id: string): Write {
    return repo.signInStamp(id, this.d.clock.now())
  }
}
