import { ApiError, newId } from '@latchkey/contracts'
import { type JsonObject, type SignUpRow, toDbJson, writeAtomically } from '@latchkey/db'
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
 * Email address + password sign-up. It completes at once with the address stored unverified
 * (verification is issue #16): every claim and resource says `email_verified: false` until it
 * is proved. The user, the session and the sign-up are written as one atomic group, after the
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
      // Nobody proved the address: typed into a public form, it stays unverified (issue #13).
      emailsVerified: false,
      password: input.password,
      username: input.username,
      firstName: input.firstName,
      lastName: input.lastName,
      unsafeMetadata: input.unsafeMetadata,
    })
    // The user (stamped as signed in), its email, the client, the session and the sign-up are
    // one atomic group: one statement on PostgreSQL, a transaction on SQLite (see sign-ins).
    const { clients, sessions, users } = this.d.services
    const now = this.d.clock.now()
    const user = { ...prepared.user, last_sign_in_at: now, last_active_at: now }
    const writes = await users.insertWrites({ ...prepared, user })
    const owner = clients.owner(clientId, { rotate: true })
    const cid = owner.id
    const session = sessions.newRow(user.id, cid, device)
    const row: SignUpRow = {
      id: newId('signUp'),
      client_id: cid,
      status: 'complete',
      email_address: prepared.emails[0]?.email_address ?? null,
      username: user.username ?? null,
      first_name: user.first_name ?? null,
      last_name: user.last_name ?? null,
      unsafe_metadata: toDbJson(input.unsafeMetadata ?? {}),
      created_user_id: user.id,
      created_session_id: session.id,
      abandon_at: now + SIGN_UP_TTL_MS,
      created_at: now,
      updated_at: now,
    }
    const state = { last_active_session_id: session.id }
    try {
      await writeAtomically(this.d.db, this.d.dialect, [
        ...writes,
        owner.write(state),
        sessions.insertWrite(session),
        repo.signUpInsert(row),
      ])
    } catch (error) {
      throw users.identifierRace(error)
    }
    return {
      signUp: row,
      clientId: cid,
      ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
    }
  }
}
