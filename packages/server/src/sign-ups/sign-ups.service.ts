import { ApiError, newId } from '@latchkey/contracts'
import { type JsonObject, type SignUpRow, toDbJson, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertStrategyAllowed } from '../sign-ins/sign-in-factors.js'
import { completeSignUp } from './sign-up-completion.js'
import {
  completeMissing,
  completeOAuthSignUp,
  type OAuthSignUpInput,
  startOAuthSignUp,
} from './sign-up-oauth.js'
import { transferSignUp } from './sign-up-transfer.js'
import {
  attemptSignUpVerification,
  completeLinkedSignUp,
  prepareSignUpVerification,
} from './sign-up-verification.js'
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
 * Email address + password sign-up, a state machine over one verification (the address).
 * With `verify_email_at_sign_up` (the default) the sign-up waits in `missing_requirements` with
 * the fields and the password's digest until the address is proved (./sign-up-verification.ts);
 * only then are the user and the session written. Without it the sign-up completes at once with
 * the address stored unverified, and every claim says `email_verified: false`. A pending
 * sign-up owns nothing: the address stays free until a sign-up proves it (Clerk's rule), so a
 * stranger who starts one with someone else's address cannot hold it.
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
    // An address an enterprise connection covers signs up at its IdP only (enterprise_sso).
    await assertStrategyAllowed(this.d, input.emailAddress, 'password')
    await this.d.services.signUpPolicy.assertMaySignUp(input.emailAddress)
    const { users } = this.d.services
    const prepared = await users.prepare({
      emailAddress: [input.emailAddress],
      // Nobody proved the address yet: it is stored unverified unless a verification proves it.
      emailsVerified: false,
      password: input.password,
      username: input.username,
      firstName: input.firstName,
      lastName: input.lastName,
      unsafeMetadata: input.unsafeMetadata,
    })
    const now = this.d.clock.now()
    const row: SignUpRow = {
      id: newId('signUp'),
      client_id: '',
      status: 'missing_requirements',
      email_address: prepared.emails[0]?.email_address ?? null,
      username: prepared.user.username ?? null,
      first_name: prepared.user.first_name ?? null,
      last_name: prepared.user.last_name ?? null,
      unsafe_metadata: toDbJson(input.unsafeMetadata ?? {}),
      created_user_id: null,
      created_session_id: null,
      password_digest: prepared.user.password_digest ?? null,
      password_hasher: prepared.user.password_hasher ?? null,
      abandon_at: now + SIGN_UP_TTL_MS,
      created_at: now,
      updated_at: now,
    }
    const { sign_up } = await this.d.services.instance.settings()
    if (!sign_up.verify_email_at_sign_up)
      return completeSignUp(this.d, row, prepared, clientId, device)
    await users.assertIdentifiersAvailable(
      prepared.emails.map((e) => e.email_address),
      prepared.user.username ?? null,
    )
    const owner = this.d.services.clients.owner(clientId, { rotate: false })
    const pending = { ...row, client_id: owner.id }
    await writeAtomically(this.d.db, this.d.dialect, [
      owner.write({ sign_up_id: pending.id }),
      repo.signUpInsert(pending),
    ])
    return {
      signUp: pending,
      clientId: owner.id,
      ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
    }
  }

  /** `POST /v1/client/sign_ups/{id}/prepare_verification`. */
  async prepareVerification(
    id: string,
    clientId: string | undefined,
    input: { strategy: string; redirectUrl?: string | undefined },
    device: Device = {},
  ): Promise<SignUpRow> {
    return prepareSignUpVerification(this.d, await this.get(id, clientId), input, device)
  }

  /** `POST /v1/client/sign_ups/{id}/attempt_verification`. */
  async attemptVerification(
    id: string,
    clientId: string | undefined,
    input: { strategy: string; code?: string | undefined },
    device: Device = {},
  ): Promise<SignUpResult> {
    return attemptSignUpVerification(this.d, await this.get(id, clientId), input, device)
  }

  /** `transfer: true`: the sign-in's external account becomes a user (./sign-up-transfer.ts). */
  transfer(clientId: string | undefined, device: Device = {}): Promise<SignUpResult> {
    return transferSignUp(this.d, clientId, device)
  }

  /** `strategy=oauth_<provider>`: a sign-up that starts at the provider (./sign-up-oauth.ts). */
  startOAuth(
    input: OAuthSignUpInput,
    clientId: string | undefined,
    device: Device = {},
  ): Promise<SignUpResult> {
    return startOAuthSignUp(this.d, input, clientId, device)
  }

  /** The provider's callback for a sign-up (./sign-up-oauth.ts). */
  completeOAuth(
    id: string,
    provider: string,
    claims: ProviderClaims,
    verificationId: string,
    device: Device,
  ): Promise<SignUpResult> {
    return completeOAuthSignUp(this.d, id, provider, claims, verificationId, device)
  }

  /** `PATCH /v1/client/sign_ups/{id}`: the fields a provider did not give. */
  async update(
    id: string,
    clientId: string | undefined,
    input: { emailAddress?: string | undefined },
    device: Device = {},
  ): Promise<SignUpResult> {
    const signUp = await this.get(id, clientId)
    // The address completes a social sign-up: not one an enterprise connection covers.
    await assertStrategyAllowed(this.d, input.emailAddress, 'oauth')
    return completeMissing(this.d, signUp, input, device)
  }

  /** An `email_link` opened in the sign-up's own browser: the sign-up completes. */
  async completeLinked(id: string, device: Device = {}): Promise<SignUpResult> {
    const signUp = await this.find(id)
    if (!signUp) throw ApiError.of('resource_not_found')
    return completeLinkedSignUp(this.d, signUp, device)
  }
}
