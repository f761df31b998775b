import { ApiError, newId } from '@latchkey/contracts'
import { type Database, fromDbBool, isUniqueViolation, type UserRow } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { SecondFactorSettings } from '../instance/second-factor-settings.js'
import type { Clock } from '../lib/clock.js'
import type { SecretBox } from '../lib/crypto.js'
import type { RateLimitsService } from '../rate-limits/rate-limits.service.js'
import type { SessionsService } from '../sessions/sessions.service.js'
import type { UsersService } from '../users/users.service.js'
import { generateBackupCodes, hashBackupCode, normalizeBackupCode } from './backup-codes.js'
import * as repo from './mfa.repository.js'
import { newTotpSecret, totpStepOf, totpUri } from './totp-codes.js'

/** Clerk's `TOTP` resource. `secret` and `uri` are shown until it is verified, never after. */
export type TotpJSON = {
  object: 'totp'
  id: string
  secret: string | null
  uri: string | null
  verified: boolean
  backup_codes: string[] | null
  created_at: number
  updated_at: number
}

/** Clerk's `BackupCodes` resource: the codes are shown once, here. */
export type BackupCodesJSON = {
  object: 'backup_code'
  id: string
  codes: string[]
  created_at: number
  updated_at: number
}

export type MfaDeps = {
  readonly db: Kysely<Database>
  readonly clock: Clock
  readonly box: SecretBox
  readonly rateLimits: RateLimitsService
  readonly users: UsersService
  /** Enrolling a factor completes the `setup-mfa` task of the user's pending sessions. */
  readonly sessions: SessionsService
  /** The instance's application name: the issuer authenticator apps show. */
  readonly applicationName: () => Promise<string>
  /** Which second factors the operator allows users to enrol. */
  readonly secondFactors: () => Promise<SecondFactorSettings>
  /** Whether every user must keep a second factor (instance/mfa-settings.ts). */
  readonly mfaRequired: () => Promise<boolean>
}

/** Wrong enrolment codes allowed per user in the window (the sign-in limits are the engine's). */
const VERIFY_LIMIT = { max: 3, windowMs: 10 * 60_000 }

/**
 * A user's second factors (issue #17): enrolling a TOTP authenticator, backup codes, and the
 * checks sign-in's second factor makes. Secrets are sealed at rest (SecretBox, bound to the user
 * id), backup codes stored as HMACs; every use is a conditional update, so a code counts once.
 */
export class MfaService {
  readonly #d: MfaDeps
  readonly #codeKey: Uint8Array

  constructor(deps: MfaDeps) {
    this.#d = deps
    this.#codeKey = deps.box.derive('latchkey backup codes v1')
  }

  /** A new, unverified secret (replacing an unverified one); one verified secret per user. */
  async createTotp(userId: string): Promise<TotpJSON> {
    await this.#assertAllowed('totp')
    const { user, emails } = await this.#d.users.withEmails(userId)
    const primary = emails.find((e) => e.id === user.primary_email_address_id)
    const label = primary?.email_address ?? user.username ?? user.id
    const secret = newTotpSecret()
    const now = this.#d.clock.now()
    const row = {
      user_id: userId,
      id: newId('totp'),
      secret_sealed: this.#d.box.seal(secret, userId),
      verified: 0,
      last_used_step: null,
      created_at: now,
      updated_at: now,
    }
    const replace = () =>
      this.#d.db.transaction().execute(async (trx) => {
        await repo.deleteUnverifiedTotp(trx, userId)
        if (await repo.findTotp(trx, userId)) throw ApiError.of('totp_already_enabled')
        await repo.insertTotp(trx, row)
      })
    // Two enrolments racing: the later insert meets the earlier row, and replaces it in turn.
    await replace().catch((error: unknown) => {
      if (isUniqueViolation(error)) return replace()
      throw error
    })
    const uri = totpUri(secret, await this.#d.applicationName(), label)
    return { ...totpJSON(row, null), secret, uri }
  }

  /**
   * Proves the authenticator with a code; enables TOTP and, the first time and if the operator
   * allows backup codes, issues them. With a second factor now enrolled, the session that
   * enrolled it, if it waited on `setup-mfa`, turns active (no other: see SessionsService).
   */
  async verifyTotp(userId: string, code: string, sessionId: string): Promise<TotpJSON> {
    const row = await repo.findTotp(this.#d.db, userId)
    if (!row) throw ApiError.of('resource_not_found', { longMessage: 'No TOTP to verify.' })
    if (fromDbBool(row.verified)) throw ApiError.of('verification_already_verified')
    await this.#assertAllowed('totp')
    const withCodes = (await this.#d.secondFactors()).backup_code
    // Counted before the comparison, so parallel guesses cannot exceed the limit.
    const hit = await this.#d.rateLimits.hit(`totp-verify|${userId}`, VERIFY_LIMIT.windowMs)
    if (hit.count > VERIFY_LIMIT.max)
      throw ApiError.of('too_many_requests', {
        meta: { retry_after_seconds: hit.retryAfterSeconds },
      })
    const now = this.#d.clock.now()
    const step = totpStepOf(this.#d.box.open(row.secret_sealed, userId), code, now)
    if (step === null) throw ApiError.of('form_code_incorrect', { meta: { param_name: 'code' } })
    const codes = await this.#d.db.transaction().execute(async (trx) => {
      if (!(await repo.markTotpVerified(trx, row.id, step, now)))
        throw ApiError.of('verification_already_verified')
      const fresh = withCodes && (await repo.countUnusedBackupCodes(trx, userId)) === 0
      const issued = fresh ? await this.#issueCodes(trx, userId, now) : null
      await repo.setUserFactors(
        trx,
        userId,
        { totp_enabled: 1, ...(issued ? { backup_code_enabled: 1 } : {}) },
        now,
      )
      await this.#d.sessions.completeTask(trx, { userId, sessionId }, 'setup-mfa')
      await this.#d.users.emitUpdatedIn(trx, userId)
      return issued?.codes ?? null
    })
    return totpJSON({ ...row, verified: 1, updated_at: now }, codes)
  }

  /**
   * The user's own `DELETE /v1/me/totp`: removes the TOTP and answers Clerk's deleted object.
   * Backup codes back up another factor (Clerk's rule): with TOTP gone no other factor remains,
   * so they go too — which, when the instance requires MFA, is refused (`mfa_required`),
   * nothing changed. The Backend API's deletes are the operator's and not refused.
   */
  async removeOwnTotp(userId: string): Promise<{ object: 'totp'; id: string; deleted: true }> {
    const row = await repo.findTotp(this.#d.db, userId)
    if (!row) throw ApiError.of('resource_not_found', { longMessage: 'No TOTP to remove.' })
    // TOTP is the only factor backup codes can stand beside: removing it leaves none.
    if (fromDbBool(row.verified) && (await this.#d.mfaRequired())) throw ApiError.of('mfa_required')
    await this.#clear(userId, { totp: true, backupCodes: true })
    return { object: 'totp', id: row.id, deleted: true }
  }

  /** A new set of backup codes replacing every old one; only with TOTP on (Clerk's rule). */
  async regenerateBackupCodes(userId: string): Promise<BackupCodesJSON> {
    await this.#assertAllowed('backup_code')
    const user = await this.#d.users.getById(userId)
    if (!fromDbBool(user.totp_enabled)) throw ApiError.of('backup_codes_not_available_code')
    const now = this.#d.clock.now()
    return this.#d.db.transaction().execute(async (trx) => {
      await repo.deleteBackupCodes(trx, userId)
      const set = await this.#issueCodes(trx, userId, now)
      await repo.setUserFactors(trx, userId, { backup_code_enabled: 1 }, now)
      await this.#d.users.emitUpdatedIn(trx, userId)
      return { object: 'backup_code', ...set, created_at: now, updated_at: now }
    })
  }

  /** Sign-in's TOTP check: a right code of a step later than the last accepted, claimed once. */
  async checkTotp(user: UserRow, code: string): Promise<boolean> {
    if (!fromDbBool(user.totp_enabled)) return false
    const row = await repo.findTotp(this.#d.db, user.id)
    if (!row || !fromDbBool(row.verified)) return false
    const now = this.#d.clock.now()
    const step = totpStepOf(this.#d.box.open(row.secret_sealed, user.id), code, now)
    if (step === null) return false
    return repo.claimTotpStep(this.#d.db, user.id, step, now)
  }

  /** Sign-in's backup-code check: an unused code, used up by this call (single use). */
  async useBackupCode(user: UserRow, code: string): Promise<boolean> {
    const normalized = normalizeBackupCode(code)
    if (normalized === null) return false
    const hash = hashBackupCode(this.#codeKey, user.id, normalized)
    const now = this.#d.clock.now()
    return this.#d.db.transaction().execute(async (trx) => {
      if (!(await repo.claimBackupCode(trx, user.id, hash, now))) return false
      if ((await repo.countUnusedBackupCodes(trx, user.id)) === 0) {
        await repo.setUserFactors(trx, user.id, { backup_code_enabled: 0 }, now)
        await this.#d.users.emitUpdatedIn(trx, user.id)
      }
      return true
    })
  }

  /** Backend API `DELETE /v1/users/{id}/backup_code`: every backup code of the user. */
  async deleteBackupCodes(userId: string): Promise<void> {
    await this.#clear(userId, { totp: false, backupCodes: true })
  }

  /** Backend API `DELETE /v1/users/{id}/mfa` (and `/totp`): every second factor of the user. */
  async deleteAllForUser(userId: string): Promise<void> {
    await this.#clear(userId, { totp: true, backupCodes: true })
  }

  /** Enrolling a factor the operator turned off changes nothing (removing one always works). */
  async #assertAllowed(kind: 'totp' | 'backup_code'): Promise<void> {
    if (!(await this.#d.secondFactors())[kind]) throw ApiError.of('second_factor_not_enabled')
  }

  async #clear(userId: string, what: { totp: boolean; backupCodes: boolean }): Promise<void> {
    const now = this.#d.clock.now()
    await this.#d.db.transaction().execute(async (trx) => {
      if (what.totp) await repo.deleteTotp(trx, userId)
      if (what.backupCodes) await repo.deleteBackupCodes(trx, userId)
      await repo.setUserFactors(
        trx,
        userId,
        {
          ...(what.totp ? { totp_enabled: 0 } : {}),
          ...(what.backupCodes ? { backup_code_enabled: 0 } : {}),
        },
        now,
      )
      await this.#d.users.emitUpdatedIn(trx, userId)
    })
  }

  async #issueCodes(
    trx: Parameters<typeof repo.insertBackupCodes>[0],
    userId: string,
    now: number,
  ) {
    const id = newId('backupCode')
    const codes = generateBackupCodes()
    await repo.insertBackupCodes(
      trx,
      codes.map((c) => ({
        id: newId('backupCode'),
        user_id: userId,
        set_id: id,
        code_hash: hashBackupCode(this.#codeKey, userId, c),
        used_at: null,
        created_at: now,
      })),
    )
    return { id, codes }
  }
}

function totpJSON(
  row: { id: string; verified: number; created_at: number; updated_at: number },
  backupCodes: string[] | null,
): TotpJSON {
  return {
    object: 'totp',
    id: row.id,
    secret: null,
    uri: null,
    verified: fromDbBool(row.verified),
    backup_codes: backupCodes,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}
