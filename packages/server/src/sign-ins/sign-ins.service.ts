import { ApiError, newId } from '@latchkey/contracts'
import { type SignInRow, type UserRow, writeAtomically } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { passwordRefusal } from '../users/password-checks.js'
import * as repo from './sign-ins.repository.js'

/** A sign-in attempt is abandoned after 24 hours, like Clerk's. */
const SIGN_IN_TTL_MS = 24 * 3600 * 1000

export type CreateSignInInput = {
  identifier?: string | undefined
  password?: string | undefined
  strategy?: string | undefined
}

/** What a sign-in call returns: the attempt and the client it now belongs to. */
export type SignInResult = { signIn: SignInRow; clientId: string; newClientToken?: string }

export class SignInsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * `POST /v1/client/sign_ins`. The identifier is resolved and (in the one-call form) the password
   * checked before anything is written, so a refused sign-in leaves no rows behind.
   */
  async create(
    input: CreateSignInInput,
    clientId: string | undefined,
    device: Device = {},
  ): Promise<SignInResult> {
    if (input.strategy !== undefined && input.strategy !== 'password') {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `Unsupported strategy ${input.strategy}.`,
        meta: { param_name: 'strategy' },
      })
    }
    let user: UserRow | undefined
    if (input.identifier !== undefined) {
      user = await this.d.services.users.findByIdentifier(input.identifier)
      if (!user)
        throw ApiError.of('form_identifier_not_found', { meta: { param_name: 'identifier' } })
      if (user.banned) throw ApiError.of('user_banned')
    }
    if (input.password !== undefined) {
      if (!user) throw ApiError.of('form_param_missing', { meta: { param_name: 'identifier' } })
      user = await this.checkPassword(user, input.password, clientId, device)
    }
    // Everything the call writes is built first and written as one atomic group: on PostgreSQL
    // one statement, where a transaction was seven round trips (the hottest write path after
    // token minting). A new browser's client is written as it ends up, never updated after.
    const { clients, sessions, users } = this.d.services
    const now = this.d.clock.now()
    const signInId = newId('signIn')
    const completes = user !== undefined && input.password !== undefined
    const owner = clients.owner(clientId, { rotate: completes })
    const cid = owner.id
    const session = user && completes ? sessions.newRow(user.id, cid, device) : undefined
    const row: SignInRow = {
      id: signInId,
      client_id: cid,
      user_id: user?.id ?? null,
      identifier: input.identifier?.trim() ?? null,
      status: session ? 'complete' : user ? 'needs_first_factor' : 'needs_identifier',
      created_session_id: session?.id ?? null,
      abandon_at: now + SIGN_IN_TTL_MS,
      created_at: now,
      updated_at: now,
    }
    const state = session
      ? { last_active_session_id: session.id, sign_in_id: null }
      : { sign_in_id: signInId }
    await writeAtomically(this.d.db, this.d.dialect, [
      owner.write(state),
      ...(session ? [sessions.insertWrite(session)] : []),
      repo.signInInsert(row),
      ...(session && user ? [users.signInStamp(user.id)] : []),
    ])
    return {
      signIn: row,
      clientId: cid,
      ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
    }
  }

  find(id: string): Promise<SignInRow | undefined> {
    return repo.findSignIn(this.d.db, id)
  }

  /** `GET /v1/client/sign_ins/{id}`: only the owning client may read it. */
  async get(id: string, clientId: string | undefined): Promise<SignInRow> {
    const s = await repo.findSignIn(this.d.db, id)
    if (!s || s.client_id !== clientId) {
      throw ApiError.of('resource_not_found', {
        longMessage: `No sign-in was found with id ${id}.`,
      })
    }
    return s
  }

  /**
   * `POST /v1/client/sign_ins/{id}/attempt_first_factor` with `strategy=password`. Completing
   * rotates the client's token (see `ClientsService.owner`).
   */
  async attemptFirstFactor(
    id: string,
    clientId: string | undefined,
    password: string,
    device: Device = {},
  ): Promise<{ signIn: SignInRow; newClientToken: string }> {
    const signIn = await this.get(id, clientId)
    const now = this.d.clock.now()
    if (now >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
    if (signIn.status !== 'needs_first_factor' || !signIn.user_id)
      throw ApiError.of('sign_in_not_ready')
    const found = await this.d.services.users.findById(signIn.user_id)
    if (!found)
      throw ApiError.of('form_identifier_not_found', { meta: { param_name: 'identifier' } })
    if (found.banned) throw ApiError.of('user_banned')
    const user = await this.checkPassword(found, password, signIn.client_id, device)
    const { clients, sessions, users } = this.d.services
    const session = sessions.newRow(user.id, signIn.client_id, device)
    const patch = { status: 'complete', created_session_id: session.id, updated_at: now }
    const owner = clients.rotated(signIn.client_id)
    await writeAtomically(this.d.db, this.d.dialect, [
      sessions.insertWrite(session),
      repo.signInUpdate(signIn.id, patch),
      owner.write({ last_active_session_id: session.id, sign_in_id: null }),
      users.signInStamp(user.id),
    ])
    return { signIn: { ...signIn, ...patch }, newClientToken: owner.newToken }
  }

  /** The caller's client and IP decide the known-device exemption and the per-IP limit. */
  private async checkPassword(
    user: UserRow,
    password: string,
    clientId: string | undefined,
    device: Device,
  ): Promise<UserRow> {
    const result = await this.d.services.users.checkPassword(user, password, {
      clientId,
      ipAddress: device.ipAddress,
    })
    if (result.ok) return result.user
    if (result.code === 'form_password_incorrect')
      throw ApiError.of(result.code, { meta: { param_name: 'password' } })
    throw passwordRefusal(result)
  }
}
