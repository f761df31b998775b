import { Buffer } from 'node:buffer'
import { ApiError, newId } from '@latchkey/contracts'
import {
  type Database,
  isUniqueViolation,
  type PasskeyRow,
  type VerificationRow,
  writeAtomically,
} from '@latchkey/db'
import type { verifyRegistrationResponse } from '@simplewebauthn/server'
import type { Transaction } from 'kysely'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import type { VerificationStrategy } from '../verification/strategy.js'
import { type PasskeyJSON, passkeyToJSON } from './passkeys.mapper.js'
import * as repo from './passkeys.repository.js'
import {
  parseAttestation,
  passkeyRefused,
  relyingParty,
  transportsOf,
  userHandleOf,
  webAuthn,
} from './webauthn.js'

const NAME_MAX = 256

const notFound = (id: string) =>
  ApiError.of('resource_not_found', { longMessage: `No passkey was found with id ${id}.` })

/**
 * A user's WebAuthn passkeys (issue #17 item 5): registration (creation options, then the
 * authenticator's attestation through the verification engine: the challenge is a single-use,
 * expiring verification owned by the passkey), the list, rename and removal. Signing in with
 * one is the `passkey` strategy (verification/strategies/passkey.ts). Every change stamps the
 * user, so cached renderings of the user resource (which lists the passkeys) are dropped.
 */
/** The passkeys one user may hold (Clerk's limit). */
export const MAX_PASSKEYS = 10

/** The database, or the caller's transaction. */
type Q = Parameters<typeof repo.listForUsers>[0]

export class PasskeysService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** The verified passkeys of these users (one query). */
  listForUsers(userIds: string[], q: Q = this.d.db): Promise<PasskeyRow[]> {
    return repo.listForUsers(q, userIds)
  }

  /** The verified passkey with this credential id, whoever owns it. */
  findByCredential(credentialId: string): Promise<PasskeyRow | undefined> {
    return repo.findByCredential(this.d.db, credentialId)
  }

  /** A signature counter moved forward (false: not forward — a replay or a cloned key). */
  async recordUse(p: PasskeyRow, counter: number, backedUp: boolean): Promise<boolean> {
    const now = this.d.clock.now()
    return repo.recordUse(this.d.db, p.id, counter, { backed_up: backedUp ? 1 : 0 }, now)
  }

  /** `POST /v1/me/passkeys`: a passkey waiting for its credential, with the creation options. */
  async create(userId: string): Promise<PasskeyJSON> {
    const { user, emails } = await this.d.services.users.withEmails(userId)
    const mine = await repo.listForUsers(this.d.db, [userId])
    // Bounded: every render of the user and every sign-in's options list them all.
    if (mine.length >= MAX_PASSKEYS) throw ApiError.of('passkey_limit_reached')
    const { rpId } = await relyingParty(this.d)
    const settings = await this.d.services.instance.settings()
    const primary = emails.find((e) => e.id === user.primary_email_address_id)
    const userName = primary?.email_address ?? user.username ?? user.id
    const { generateRegistrationOptions } = await webAuthn()
    const options = await generateRegistrationOptions({
      rpName: settings.application_name,
      rpID: rpId,
      userName,
      userDisplayName: [user.first_name, user.last_name].filter(Boolean).join(' ') || userName,
      userID: userHandleOf(user.id),
      attestationType: 'none',
      // A passkey is discoverable (usernameless sign-in) and always asks for the user's PIN or
      // biometrics: it then proves two factors at once (Clerk's satisfies_second_factor).
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: mine.flatMap((p) =>
        p.credential_id ? [{ id: p.credential_id, transports: transportsOf(p) }] : [],
      ),
    })
    const now = this.d.clock.now()
    const passkey: PasskeyRow = {
      id: newId('passkey'),
      user_id: userId,
      credential_id: null,
      public_key: null,
      counter: 0,
      transports: '[]',
      name: 'Passkey',
      backed_up: 0,
      device_type: null,
      verified: 0,
      last_used_at: null,
      created_at: now,
      updated_at: now,
    }
    const challenge = this.d.services.verifications.challenge(passkey.id, 'passkey', options)
    const verification = challenge.row
    await this.d.db.transaction().execute(async (trx) => {
      await repo.deleteUnverified(trx, userId)
      await repo.insertPasskey(trx, passkey)
    })
    await writeAtomically(this.d.db, this.d.dialect, [challenge.write])
    return passkeyToJSON(passkey, verification, now)
  }

  /**
   * `POST /v1/me/passkeys/{id}/attempt_verification`: the engine counts the attempt, checks
   * expiry and makes the challenge single use; the attestation must answer that challenge, on
   * an expected origin, for the RP ID, with the user verified.
   */
  async attemptVerification(
    userId: string,
    id: string,
    credential: string | undefined,
    device: Device,
  ): Promise<PasskeyJSON> {
    const passkey = await this.#own(userId, id)
    if (Number(passkey.verified) === 1) throw ApiError.of('verification_already_verified')
    const user = await this.d.services.users.getById(userId)
    const { verifications } = this.d.services
    const row = await verifications.find(id, 'passkey')
    if (!row) throw ApiError.of('verification_missing')
    let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo']
    const registration: VerificationStrategy = {
      name: 'passkey',
      factors: () => [],
      attempt: async (_ctx, { row: r }) => {
        info = await this.#checkAttestation(r, credential)
      },
    }
    const now = this.d.clock.now()
    let fields: Parameters<typeof repo.markVerified>[2] | undefined
    // The credential is stored in the transaction that spends the challenge (attemptRow).
    const store = async (trx: Transaction<Database>) => {
      if (!info) throw passkeyRefused('no credential')
      fields = {
        credential_id: info.credential.id,
        public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: JSON.stringify(info.credential.transports ?? []),
        backed_up: info.credentialBackedUp ? 1 : 0,
        device_type: info.credentialDeviceType,
      }
      if (!(await repo.markVerified(trx, id, fields, now)))
        throw ApiError.of('verification_already_verified')
      await repo.touchUser(trx, userId, now)
      await this.d.services.users.emitUpdatedIn(trx, userId)
    }
    let proved: VerificationRow
    try {
      proved = await verifications.attemptRow(registration, row, user, undefined, {}, device, store)
    } catch (error) {
      // The authenticator's credential is registered already (to this user or another): a 422,
      // and the challenge is not spent (the transaction rolled back), so the user may answer
      // it with another authenticator; the attempt counted toward its three.
      if (isUniqueViolation(error)) throw passkeyRefused('this passkey is registered already')
      throw error
    }
    if (!fields) throw passkeyRefused('no credential')
    return passkeyToJSON({ ...passkey, ...fields, verified: 1, updated_at: now }, proved, now)
  }

  /** `GET /v1/me/passkeys/{id}`. */
  async get(userId: string, id: string): Promise<PasskeyJSON> {
    const passkey = await this.#own(userId, id)
    const row = await this.d.services.verifications.find(id, 'passkey')
    return passkeyToJSON(passkey, row, this.d.clock.now())
  }

  /** `PATCH /v1/me/passkeys/{id}`: a new name. */
  async rename(userId: string, id: string, name: string): Promise<PasskeyJSON> {
    const passkey = await this.#own(userId, id)
    const trimmed = name.trim().slice(0, NAME_MAX)
    if (!trimmed) throw ApiError.of('form_param_nil', { meta: { param_name: 'name' } })
    const now = this.d.clock.now()
    await this.d.db.transaction().execute(async (trx) => {
      await repo.rename(trx, id, trimmed, now)
      await repo.touchUser(trx, userId, now)
      await this.d.services.users.emitUpdatedIn(trx, userId)
    })
    const row = await this.d.services.verifications.find(id, 'passkey')
    return passkeyToJSON({ ...passkey, name: trimmed, updated_at: now }, row, now)
  }

  /** `DELETE /v1/me/passkeys/{id}` and the Backend API's: Clerk's deleted object. */
  async remove(userId: string, id: string) {
    await this.#own(userId, id)
    const now = this.d.clock.now()
    await this.d.db.transaction().execute(async (trx) => {
      if (!(await repo.deletePasskey(trx, id))) throw notFound(id)
      await repo.touchUser(trx, userId, now)
      await this.d.services.users.emitUpdatedIn(trx, userId)
    })
    return { object: 'passkey' as const, id, deleted: true as const }
  }

  async #own(userId: string, id: string): Promise<PasskeyRow> {
    const passkey = await repo.findPasskey(this.d.db, id)
    if (!passkey || passkey.user_id !== userId) throw notFound(id)
    return passkey
  }

  async #checkAttestation(row: VerificationRow | undefined, raw: string | undefined) {
    const response = parseAttestation(raw)
    const { rpId, origins } = await relyingParty(this.d)
    const secrets = this.d.services.verifications.secrets
    const { verifyRegistrationResponse: verify } = await webAuthn()
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>
    try {
      result = await verify({
        response,
        expectedChallenge: (c) => row !== undefined && secrets.matches(row.id, c, row.secret_hash),
        expectedOrigin: origins,
        expectedRPID: rpId,
        requireUserVerification: true,
      })
    } catch (error) {
      throw passkeyRefused((error as Error).message, error)
    }
    if (!result.verified) throw passkeyRefused('the attestation did not verify')
    return result.registrationInfo
  }
}
