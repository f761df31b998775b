import { ApiError, newId, randomBase62 } from '@latchkey/contracts'
import { type Database, fromDbBool, type OperatorCredentialRow, type UserRow } from '@latchkey/db'
import type { Transaction } from 'kysely'
import { sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { mfaEnrolled } from '../sign-ins/sign-in-factors.js'
import { passwordRefusal } from '../users/password-checks.js'
import { isLocked } from '../users/users.mapper.js'
import { verifyOperatorCode } from './operator-second-factor.js'
import * as repo from './operators.repository.js'

/** Every operator credential starts so: the `bapi` preHandler tells it from a secret key. */
export const OPERATOR_TOKEN_PREFIX = 'lk_op_'
/** A credential lapses this long after it was last used… */
export const IDLE_MS = 30 * 60_000
/** …and this long after it was issued, however busy. */
export const MAX_AGE_MS = 12 * 3_600_000
/** `last_used_at` is written at most this often (a busy dashboard writes once a minute). */
const TOUCH_EVERY_MS = 60_000

/** An operator acting through the Backend API with their credential. */
export type OperatorActor = {
  readonly type: 'operator'
  readonly userId: string
  readonly credentialId: string
}

type OperatorUserJSON = {
  id: string
  email_address: string | null
  first_name: string | null
  last_name: string | null
}

const refused = () =>
  ApiError.of('authentication_invalid', {
    longMessage: 'The operator credential has expired or was revoked.',
  })
const invalid = () => ApiError.of('operator_credentials_invalid')

const expiresAt = (c: Pick<OperatorCredentialRow, 'created_at' | 'last_used_at'>) =>
  Math.min(c.last_used_at + IDLE_MS, c.created_at + MAX_AGE_MS)

/**
 * Operator sign-in and the `lk_op_…` credential it issues (issue #20).
 *
 * Who could present the credential, and where: whoever holds the token — the dashboard keeps it
 * in its tab's sessionStorage and sends it to the same origin's Backend API. It is accepted only
 * by Backend API routes (`bapi` in http/define-route.ts), never by the Frontend API (which reads
 * `Authorization` as a client token and finds none), OAuth or the hosted pages. A stolen token
 * is bounded: 30 minutes idle, 12 hours at most, stored only as SHA-256, and it stops at once
 * when its user signs out, stops being an operator, is banned, locked or deleted, or their
 * password changes (by whoever: the user, an admin, a reset).
 */
export class OperatorCredentialsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * `POST /v1/operator_sessions`: the password through the Frontend API's own checks (per-IP
   * limit, the account's delay and lockout: users/password-checks.ts), then the second factor
   * the user enrolled, counted like a sign-in's (verification/factor-attempts.ts). Every attempt
   * is in the audit log, with its outcome.
   */
  async signIn(
    input: { identifier: string; password: string; code?: string | undefined },
    device: Device & { ipAddress: string },
  ) {
    let userId: string | null = null
    const audit = (statusCode: number, credentialId: string | null) =>
      this.d.services.audit.record({
        actor: { userId, credentialId },
        action: 'operator.sign_in',
        method: 'POST',
        route: '/v1/operator_sessions',
        targetId: null,
        statusCode,
        device: { userAgent: device.userAgent, ipAddress: device.ipAddress },
      })
    try {
      const user = await this.#check(input, device, (id) => {
        userId = id
      })
      const issued = await this.#issue(user)
      await audit(200, issued.id)
      return issued
    } catch (error) {
      await audit(error instanceof ApiError ? error.status : 500, null)
      throw error
    }
  }

  async #check(
    input: { identifier: string; password: string; code?: string | undefined },
    device: Device & { ipAddress: string },
    found: (userId: string) => void,
  ): Promise<UserRow> {
    const { users, operators } = this.d.services
    const user = await users.findByIdentifier(input.identifier)
    const from = { ipAddress: device.ipAddress }
    // No such user, or a banned one: checked as a wrong password would be (the per-IP count, a
    // hash's time), so neither the answer, its timing nor the per-IP limit tells them apart.
    if (!user || fromDbBool(user.banned)) {
      if (user) found(user.id)
      const check = await users.checkPasswordOfNoAccount(input.password, from)
      if (!check.ok && check.code !== 'form_password_incorrect') throw passwordRefusal(check)
      throw invalid()
    }
    found(user.id)
    // The Frontend API's password check: a wrong one counts toward the account's lockout.
    // No client: an operator sign-in is never a known device (the exemption is a browser's).
    const check = await users.checkPassword(user, input.password, from)
    if (!check.ok) {
      if (check.code === 'form_password_incorrect') throw invalid()
      throw passwordRefusal(check)
    }
    if (!(await operators.isOperator(user.id))) throw invalid()
    if (mfaEnrolled(check.user)) {
      if (input.code === undefined || input.code.trim() === '')
        throw ApiError.of('form_param_missing', {
          longMessage: 'Enter the code from your authenticator app, or a backup code.',
          meta: { param_name: 'code' },
        })
      await verifyOperatorCode(this.d, check.user, input.code, device)
    }
    return check.user
  }

  async #issue(user: UserRow) {
    const now = this.d.clock.now()
    // Now and then is enough: lapsed credentials are refused whether or not they are deleted.
    await repo.purgeCredentials(this.d.db, now - IDLE_MS, now - MAX_AGE_MS)
    const token = `${OPERATOR_TOKEN_PREFIX}${randomBase62(40)}`
    const row: OperatorCredentialRow = {
      id: newId('operatorCredential'),
      user_id: user.id,
      token_hash: sha256(token),
      created_at: now,
      last_used_at: now,
    }
    await repo.insertCredential(this.d.db, row)
    // A password change ends the user's credentials in its transaction (users.service.ts); one
    // that committed after this password was checked but did not see this row to end it is
    // caught here, after the row is in: the credential was got with a password that is no more.
    const changedAt = await repo.passwordChangedAt(this.d.db, this.d.dialect, user.id)
    if (changedAt !== user.password_updated_at) {
      await repo.deleteCredential(this.d.db, row.id)
      throw invalid()
    }
    return {
      object: 'operator_credential' as const,
      id: row.id,
      token,
      expires_at: expiresAt(row),
      user: await this.#userJSON(user.id),
    }
  }

  /**
   * A Backend API request's `lk_op_…` credential: its operator, or 401 `authentication_invalid`
   * (expired, signed out, no longer an operator, banned, locked, deleted — all told alike).
   */
  async authenticate(token: string): Promise<OperatorActor> {
    if (!/^lk_op_[A-Za-z0-9]{40}$/.test(token)) throw refused()
    const found = await repo.findCredentialOfOperator(this.d.db, sha256(token))
    if (!found) throw refused()
    const { credential, user } = found
    const now = this.d.clock.now()
    // Lapsed, or its user banned or locked: the credential is spent for good (an unban or an
    // unlock does not bring it back; the operator signs in again).
    if (now >= expiresAt(credential) || fromDbBool(user.banned) || isLocked(user, now)) {
      await repo.deleteCredential(this.d.db, credential.id)
      throw refused()
    }
    if (now - credential.last_used_at >= TOUCH_EVERY_MS)
      await repo.touchCredential(this.d.db, credential.id, now)
    return { type: 'operator', userId: user.id, credentialId: credential.id }
  }

  /** `GET /v1/operator_sessions/current`: the credential, never its token. */
  async current(actor: OperatorActor) {
    const found = await this.d.services.users.withEmails(actor.userId)
    const credential = await repo.findCredential(this.d.db, actor.credentialId)
    if (!credential) throw refused()
    return {
      object: 'operator_credential' as const,
      id: credential.id,
      expires_at: expiresAt(credential),
      user: await this.#userJSON(actor.userId),
      // The dashboard warns an operator who signs in with a password alone.
      second_factor: mfaEnrolled(found.user),
    }
  }

  /** `DELETE /v1/operator_sessions/current`: sign-out; the credential is refused from now on. */
  async signOut(actor: OperatorActor) {
    await repo.deleteCredential(this.d.db, actor.credentialId)
    return { object: 'operator_credential' as const, id: actor.credentialId, deleted: true }
  }

  /** Ends every credential of the user (a new password: users.service.ts `update`). */
  async revokeAllOfUser(userId: string, trx?: Transaction<Database>): Promise<void> {
    await repo.deleteCredentialsOfUser(trx ?? this.d.db, userId)
  }

  async #userJSON(userId: string): Promise<OperatorUserJSON> {
    const { user, emails } = await this.d.services.users.withEmails(userId)
    const primary = emails.find((e) => e.id === user.primary_email_address_id)
    return {
      id: user.id,
      email_address: primary?.email_address ?? null,
      first_name: user.first_name,
      last_name: user.last_name,
    }
  }
}
