import { ApiError, newId, type SessionId } from '@latchkey/contracts'
import { type JsonObject, type SignUpRow, toDbJson } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import * as repo from './sign-ups.repository.js'

const SIGN_UP_TTL_MS = 24 * 3600 * 1000

export type CreateSignUpInput = {
  emailAddress?: string | undefined
  password?: string | undefined
  username?: string | undefined
  firstName?: string | undefined
  lastName?: string | undefined
  unsafeMetadata?: JsonObject | undefined
}

export type SignUpResult = { signUp: SignUpRow; clientId: string; newClientToken?: string }

/**
 * Email address + password sign-up. It completes at once (email verification is a later
 * issue): the user, the session and the sign-up are written in one transaction, after the
 * password is checked and hashed, so a refused sign-up leaves nothing behind.
 */
export class SignUpsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  find(id: string): Promise<SignUpRow | undefined> {
    return repo.findSignUp(this.d.db, id)
  }

  /** `GET /v1/client/sign_ups/{id}`: only the owning client may read it. */
  async get(id: string, clientId: string | undefined): Promise<SignUpRow> {
    const s = await repo.findSignUp(this.d.db, id)
    if (!s || s.client_id !== clientId) {
      throw ApiError.of('resource_not_found', {
        longMessage: `No sign-up was found with id ${id}.`,
      })
    }
    return s
  }

  async create(
    input: CreateSignUpInput,
    clientId: string | undefined,
    device: Device = {},
  ): Promise<SignUpResult> {
    if (input.emailAddress === undefined)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'email_address' } })
    if (input.password === undefined)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'password' } })
    const prepared = await this.d.services.users.prepare({
      emailAddress: [input.emailAddress],
      password: input.password,
      username: input.username,
      firstName: input.firstName,
      lastName: input.lastName,
      unsafeMetadata: input.unsafeMetadata,
    })
    const now = this.d.clock.now()
    return this.d.db.transaction().execute(async (trx) => {
      await this.d.services.users.insertPrepared(trx, prepared)
      let newClientToken: string | undefined
      let cid = clientId
      if (!cid) {
        const client = await this.d.services.clients.createRow(trx)
        cid = client.id
        newClientToken = client.token
      }
      const session = await this.d.services.sessions.create(trx, prepared.user.id, cid, device)
      const row: SignUpRow = {
        id: newId('signUp'),
        client_id: cid,
        status: 'complete',
        email_address: prepared.emails[0]?.email_address ?? null,
        username: prepared.user.username ?? null,
        first_name: prepared.user.first_name ?? null,
        last_name: prepared.user.last_name ?? null,
        unsafe_metadata: toDbJson(input.unsafeMetadata ?? {}),
        created_user_id: prepared.user.id,
        created_session_id: session.id,
        abandon_at: now + SIGN_UP_TTL_MS,
        created_at: now,
        updated_at: now,
      }
      await repo.insertSignUp(trx, row)
      await this.d.services.clients.setLastActiveSession(trx, cid, session.id as SessionId)
      await this.d.services.users.recordSignIn(trx, prepared.user.id)
      return { signUp: row, clientId: cid, ...(newClientToken ? { newClientToken } : {}) }
    })
  }
}
