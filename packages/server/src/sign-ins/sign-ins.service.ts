import { ApiError, newId } from '@latchkey/contracts'
import { type SignInRow, type UserRow, type VerificationRow, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { passwordRefusal } from '../users/password-checks.js'
import {
  assertNotLocked,
  assertSignInStillAllowed,
  assertStrategyAllowed,
  ENTERPRISE_SSO_STRATEGIES,
  enabledFirstFactors,
  enterpriseSsoFor,
  finishFirstFactor,
  needsSecondFactor,
  signInUser,
  supportedFirstFactors,
} from './sign-in-factors.js'
import {
  completeOAuthSignIn,
  prepareEnterpriseSignIn,
  startOAuthSignIn,
  transferSignIn,
} from './sign-in-oauth.js'
import { attemptDiscoverable, createDiscoverable } from './sign-in-passkey.js'
import { attemptSecondFactor, prepareSecondFactor } from './sign-in-second-factor.js'
import * as repo from './sign-ins.repository.js'

/** A sign-in attempt is abandoned after 24 hours, like Clerk's. */
const SIGN_IN_TTL_MS = 24 * 3600 * 1000

export type CreateSignInInput = {
  identifier?: string | undefined
  password?: string | undefined
  strategy?: string | undefined
  emailAddressId?: string | undefined
  redirectUrl?: string | undefined
  /** `oauth_*`: where the browser lands once the sign-in completes (Clerk's name). */
  actionCompleteRedirectUrl?: string | undefined
  /** `oauth_*`: the app's proxy of the Frontend API the call came through. */
  proxyUrl?: string | undefined
  /** Clerk's transfer from a sign-up whose provider account exists (./sign-in-oauth.ts). */
  transfer?: boolean | undefined
}

export type PrepareFirstFactorInput = {
  strategy: string
  emailAddressId?: string | undefined
  redirectUrl?: string | undefined
  /** `enterprise_sso`: where the browser goes once the sign-in completes. */
  actionCompleteRedirectUrl?: string | undefined
  /** `enterprise_sso`: the app's proxy of the Frontend API (its cookie's). */
  proxyUrl?: string | undefined
}

export type AttemptFirstFactorInput = {
  strategy: string
  password?: string | undefined
  code?: string | undefined
  publicKeyCredential?: string | undefined
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
    if (input.strategy === 'passkey' && input.identifier === undefined) {
      return createDiscoverable(this.d, clientId, device, SIGN_IN_TTL_MS)
    }
    if (input.transfer) return transferSignIn(this.d, clientId, device)
    const redirectFlow =
      input.strategy?.startsWith('oauth_') ||
      input.strategy === 'enterprise_sso' ||
      input.strategy === 'saml'
    if (input.strategy && redirectFlow) {
      return startOAuthSignIn(this.d, { ...input, strategy: input.strategy }, clientId, device)
    }
    if (input.strategy !== undefined && input.strategy !== 'password') {
      return this.createPrepared({ ...input, strategy: input.strategy }, clientId, device)
    }
    let user: UserRow | undefined
    if (input.identifier !== undefined) {
      // An address its enterprise connection owns signs in at the IdP only, known user or not:
      // the sign-in waits with `enterprise_sso` as its one factor (sign-in-factors.ts).
      user = await this.d.services.users.findByIdentifier(input.identifier)
      if (!user && !(await enterpriseSsoFor(this.d, input.identifier)))
        throw ApiError.of('form_identifier_not_found', { meta: { param_name: 'identifier' } })
      if (user?.banned) throw ApiError.of('user_banned')
      // The found user's own addresses bind too (a username, another address): refused before
      // the password is checked, so nothing (not even a failed attempt) is written.
      if (input.password !== undefined) {
        const owner = user ? await this.d.services.users.findWithEmails(user.id) : undefined
        await assertStrategyAllowed(this.d, input.identifier, '', owner)
      }
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
    const passed = user !== undefined && input.password !== undefined
    // A user with a second factor proves it next (attempt_second_factor): no session yet.
    const secondStep = passed && user !== undefined && (await needsSecondFactor(this.d, user))
    const completes = passed && !secondStep
    const owner = clients.owner(clientId, { rotate: completes })
    const cid = owner.id
    const session =
      user && completes
        ? sessions.newRow(user.id, cid, device, await sessions.tasksFor(user))
        : undefined
    const row: SignInRow = {
      id: signInId,
      client_id: cid,
      user_id: user?.id ?? null,
      identifier: input.identifier?.trim() ?? null,
      status: session
        ? 'complete'
        : secondStep
          ? 'needs_second_factor'
          : user
            ? 'needs_first_factor'
            : 'needs_identifier',
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
      ...(session ? sessions.insertWrites(session) : []),
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
   * `create` with a strategy to prepare at once (Clerk: `identifier` plus `strategy=email_code`):
   * the sign-in waits for its first factor and the code or link is on its way.
   */
  private async createPrepared(
    input: CreateSignInInput & { strategy: string },
    clientId: string | undefined,
    device: Device,
  ): Promise<SignInResult> {
    const names = await enabledFirstFactors(this.d)
    this.d.services.verifications.strategy(input.strategy, names)
    if (input.identifier === undefined)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'identifier' } })
    // Refused before the sign-in is written: an enterprise connection's address, or a user
    // who has one.
    const user = await this.d.services.users.findByIdentifier(input.identifier)
    const owner = user ? await this.d.services.users.findWithEmails(user.id) : undefined
    await assertStrategyAllowed(this.d, input.identifier, input.strategy, owner)
    const created = await this.create({ identifier: input.identifier }, clientId, device)
    const signIn = await this.prepareFirstFactor(
      created.signIn.id,
      created.clientId,
      {
        strategy: input.strategy,
        emailAddressId: input.emailAddressId,
        redirectUrl: input.redirectUrl,
      },
      device,
    )
    return { ...created, signIn }
  }

  /** `POST …/prepare_first_factor`: sends the code or link of an email strategy. */
  async prepareFirstFactor(
    id: string,
    clientId: string | undefined,
    input: PrepareFirstFactorInput,
    device: Device = {},
  ): Promise<SignInRow> {
    if (ENTERPRISE_SSO_STRATEGIES.includes(input.strategy))
      return prepareEnterpriseSignIn(this.d, await this.get(id, clientId), input, device)
    const signIn = await this.pending(id, clientId)
    const found = await signInUser(this.d, signIn)
    await assertStrategyAllowed(this.d, signIn.identifier, input.strategy, found)
    const { verifications } = this.d.services
    const strategy = verifications.strategy(input.strategy, await enabledFirstFactors(this.d))
    const factor = (await supportedFirstFactors(this.d, signIn, found)).find(
      (f) =>
        f.strategy === input.strategy &&
        (input.emailAddressId === undefined || f.email_address_id === input.emailAddressId),
    )
    if (strategy.silent && !factor) throw ApiError.of('strategy_for_user_invalid')
    const email = found.emails.find(
      (e) => e.id === (input.emailAddressId ?? factor?.email_address_id),
    )
    if (!email && !strategy.silent) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'email_address_id must be one of the account’s email addresses.',
        meta: { param_name: 'email_address_id' },
      })
    }
    const target = {
      ownerId: signIn.id,
      slot: 'first_factor' as const,
      purpose: 'sign_in' as const,
      emailAddress: email?.email_address ?? '',
      emailAddressId: email?.id ?? null,
      clientId: signIn.client_id,
      userId: found.user.id,
    }
    const writes = await verifications.prepare(strategy, target, input, device)
    await writeAtomically(this.d.db, this.d.dialect, writes)
    this.d.services.mail.kick()
    return signIn
  }

  /**
   * `POST …/attempt_first_factor`: the strategy checks the proof (the engine counts attempts
   * and makes a code single use); a proved factor completes the sign-in, or for a password
   * reset waits for the new password. Completing rotates the client's token.
   */
  async attemptFirstFactor(
    id: string,
    clientId: string | undefined,
    input: AttemptFirstFactorInput,
    device: Device = {},
  ): Promise<{ signIn: SignInRow; newClientToken?: string }> {
    const discoverable = await this.get(id, clientId)
    if (input.strategy === 'passkey' && !discoverable.user_id && this.open(discoverable)) {
      return attemptDiscoverable(this.d, discoverable, input.publicKeyCredential, device)
    }
    const signIn = await this.pending(id, clientId)
    const found = await signInUser(this.d, signIn)
    await assertStrategyAllowed(this.d, signIn.identifier, input.strategy, found)
    const { verifications } = this.d.services
    const strategy = verifications.strategy(input.strategy, await enabledFirstFactors(this.d))
    if (strategy.name !== 'password') assertNotLocked(found.user)
    const owner = { id: signIn.id, slot: 'first_factor' as const, clientId: signIn.client_id }
    const verified = await verifications.attempt(strategy, owner, found.user, input, device)
    return finishFirstFactor(
      this.d,
      signIn,
      found.user,
      {
        provedEmailId: verified?.email_address_id ?? null,
        needsNewPassword: strategy.signInOutcome === 'needs_new_password',
        satisfiesSecondFactor: strategy.satisfiesSecondFactor === true,
      },
      device,
    )
  }

  /**
   * `POST …/reset_password` after a proved `reset_password_email_code`: the new password passes
   * the same policy as any (length, breached list), other sessions and OAuth grants end when
   * asked, and the sign-in completes with a session.
   */
  async resetPassword(
    id: string,
    clientId: string | undefined,
    input: { password: string; signOutOfOtherSessions?: boolean | undefined },
    device: Device = {},
  ): Promise<{ signIn: SignInRow; newClientToken?: string }> {
    const signIn = await this.get(id, clientId)
    if (this.d.clock.now() >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
    const proof = await this.d.services.verifications.find(signIn.id, 'first_factor')
    const proved = proof?.status === 'verified' && proof.strategy === 'reset_password_email_code'
    if (signIn.status !== 'needs_new_password' || !proved) throw ApiError.of('sign_in_not_ready')
    const found = await signInUser(this.d, signIn)
    assertNotLocked(found.user)
    // Before the password changes: a reset begun before the user's domain got its connection.
    await assertSignInStillAllowed(this.d, signIn, found.user)
    await this.d.services.users.update(found.user.id, {
      password: input.password,
      signOutOfOtherSessions: input.signOutOfOtherSessions,
    })
    const done = { provedEmailId: null, needsNewPassword: false }
    return finishFirstFactor(this.d, signIn, found.user, done, device)
  }

  /** An `email_link` first factor, proved by opening the link in the sign-in's own browser. */
  async completeLinked(
    proof: VerificationRow,
    device: Device,
  ): Promise<{ signIn: SignInRow; newClientToken?: string }> {
    const signIn = await this.pending(proof.owner_id, proof.client_id ?? undefined)
    const found = await signInUser(this.d, signIn)
    assertNotLocked(found.user)
    const outcome = { provedEmailId: proof.email_address_id, needsNewPassword: false }
    return finishFirstFactor(this.d, signIn, found.user, outcome, device)
  }

  /** An `oauth_*` first factor, proved by the provider's callback: see ./sign-in-oauth.ts. */
  completeOAuth(
    id: string,
    provider: string,
    claims: ProviderClaims,
    verificationId: string,
    device: Device,
  ): Promise<{ signIn: SignInRow; newClientToken?: string }> {
    return completeOAuthSignIn(this.d, id, provider, claims, verificationId, device)
  }

  /** `POST …/prepare_second_factor`: an email code is mailed; TOTP and backup codes send nothing. */
  async prepareSecondFactor(
    id: string,
    clientId: string | undefined,
    input: { strategy: string; emailAddressId?: string | undefined },
    device: Device = {},
  ): Promise<SignInRow> {
    return prepareSecondFactor(this.d, await this.get(id, clientId), input, device)
  }

  /** `POST …/attempt_second_factor`: the second factor's code; proved, the sign-in completes. */
  async attemptSecondFactor(
    id: string,
    clientId: string | undefined,
    input: { strategy: string; code?: string | undefined },
    device: Device = {},
  ): Promise<{ signIn: SignInRow; newClientToken?: string }> {
    return attemptSecondFactor(this.d, await this.get(id, clientId), input, device)
  }

  /** Whether a sign-in still waits for its first factor (not expired). */
  private open(signIn: SignInRow): boolean {
    if (this.d.clock.now() >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
    return signIn.status === 'needs_first_factor'
  }

  /** A sign-in of this client still waiting for its first factor. */
  private async pending(id: string, clientId: string | undefined): Promise<SignInRow> {
    const signIn = await this.get(id, clientId)
    if (this.d.clock.now() >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
    if (signIn.status !== 'needs_first_factor' || !signIn.user_id)
      throw ApiError.of('sign_in_not_ready')
    return signIn
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
