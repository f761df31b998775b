import { type EmailAddressJSON, EmailAddressResource } from './email-address-resource.js'
import { type ExternalAccountJSON, ExternalAccountResource } from './external-account-resource.js'
import type { FapiClient } from './fapi.js'
import {
  type BackupCodeJSON,
  BackupCodeResource,
  type DeletedObjectJSON,
  type DeletedObjectResource,
  deletedObject,
  type TOTPJSON,
  TOTPResource,
} from './mfa-resources.js'
import { type PasskeyJSON, PasskeyResource } from './passkey-resource.js'
import {
  type SessionVerificationJSON,
  type SessionVerificationLevel,
  SessionVerificationResource,
} from './session-verification.js'
import { type SignInJSON, SignInResource } from './sign-in-resource.js'
import { type SignUpJSON, SignUpResource } from './sign-up-resource.js'

export { type EmailAddressJSON, EmailAddressResource } from './email-address-resource.js'
export {
  type ExternalAccountJSON,
  ExternalAccountResource,
} from './external-account-resource.js'
export {
  BackupCodeResource,
  type DeletedObjectResource,
  TOTPResource,
} from './mfa-resources.js'
export {
  LatchkeyWebAuthnError,
  type PasskeyJSON,
  PasskeyResource,
  type WebAuthnErrorCode,
} from './passkey-resource.js'
export {
  type SessionVerificationLevel,
  SessionVerificationResource,
} from './session-verification.js'
export { type SignInJSON, SignInResource } from './sign-in-resource.js'
export { type SignUpJSON, SignUpResource } from './sign-up-resource.js'

// Wire shapes (snake_case, Clerk's Frontend API), only the fields the SDK reads.

export type UserJSON = {
  id: string
  username: string | null
  first_name: string | null
  last_name: string | null
  image_url: string
  has_image: boolean
  primary_email_address_id: string | null
  email_addresses: EmailAddressJSON[]
  password_enabled: boolean
  two_factor_enabled?: boolean
  totp_enabled?: boolean
  backup_code_enabled?: boolean
  passkeys?: PasskeyJSON[]
  external_accounts?: ExternalAccountJSON[]
  public_metadata: Record<string, unknown>
  unsafe_metadata: Record<string, unknown>
  external_id: string | null
  created_at: number
  updated_at: number
  last_sign_in_at: number | null
}
export type SessionJSON = {
  id: string
  status: string
  expire_at: number
  abandon_at: number
  last_active_at: number
  user: UserJSON
  /** What a `pending` session must do first (Clerk's session tasks), e.g. `setup-mfa`. */
  tasks?: { key: string }[] | null
  created_at: number
  updated_at: number
}
export type ActiveSessionJSON = Omit<SessionJSON, 'user' | 'tasks'> & {
  latest_activity: {
    id: string
    browser_name?: string | null
    browser_version?: string | null
    device_type?: string | null
    is_mobile?: boolean
    ip_address?: string | null
  } | null
}
export type ClientJSON = {
  id: string
  sessions: SessionJSON[]
  sign_in: SignInJSON | null
  sign_up: SignUpJSON | null
  last_active_session_id: string | null
}

/** What resources need from their owner: the API, and how to get tokens for a session. */
export type ResourceContext = {
  fapi: FapiClient
  getToken(sessionId: string, options?: GetTokenOptions): Promise<string | null>
  /** After a call that changed who is signed in: tell every listener and every other tab. */
  changed(): void
}

export type GetTokenOptions = {
  /** A JWT template's name; the default session token without one. */
  template?: string
  /** Fetch a new token even if a cached one is still good. */
  skipCache?: boolean
  /** Accepted for Clerk compatibility; organizations are not implemented yet. */
  organizationId?: string
}

const date = (ms: number | null | undefined) => (ms == null ? null : new Date(ms))

/** The signed-in user (Clerk's `UserResource`). */
export class UserResource {
  readonly id: string
  readonly username: string | null
  readonly firstName: string | null
  readonly lastName: string | null
  readonly imageUrl: string
  readonly hasImage: boolean
  readonly primaryEmailAddressId: string | null
  readonly emailAddresses: EmailAddressResource[]
  readonly passwordEnabled: boolean
  /** An authenticator app or backup codes are set up: sign-in asks for a second factor. */
  readonly twoFactorEnabled: boolean
  readonly totpEnabled: boolean
  readonly backupCodeEnabled: boolean
  /** The user's passkeys (verified ones: those that can sign in). */
  readonly passkeys: PasskeyResource[]
  /** The user's linked accounts at providers (`oauth_*`). */
  readonly externalAccounts: ExternalAccountResource[]
  readonly publicMetadata: Record<string, unknown>
  readonly unsafeMetadata: Record<string, unknown>
  readonly externalId: string | null
  readonly createdAt: Date | null
  readonly updatedAt: Date | null
  readonly lastSignInAt: Date | null
  readonly #ctx: ResourceContext
  readonly #sessionId: string

  constructor(json: UserJSON, ctx: ResourceContext, sessionId: string) {
    this.#ctx = ctx
    this.#sessionId = sessionId
    this.id = json.id
    this.username = json.username
    this.firstName = json.first_name
    this.lastName = json.last_name
    this.imageUrl = json.image_url
    this.hasImage = json.has_image
    this.primaryEmailAddressId = json.primary_email_address_id
    this.emailAddresses = json.email_addresses.map(
      (e) => new EmailAddressResource(e, ctx, sessionId),
    )
    this.passwordEnabled = json.password_enabled
    this.totpEnabled = json.totp_enabled ?? false
    this.backupCodeEnabled = json.backup_code_enabled ?? false
    this.twoFactorEnabled = json.two_factor_enabled ?? (this.totpEnabled || this.backupCodeEnabled)
    this.passkeys = (json.passkeys ?? []).map((p) => new PasskeyResource(p, ctx, sessionId))
    this.externalAccounts = (json.external_accounts ?? []).map(
      (a) => new ExternalAccountResource(a, ctx, sessionId),
    )
    this.publicMetadata = json.public_metadata
    this.unsafeMetadata = json.unsafe_metadata
    this.externalId = json.external_id
    this.createdAt = date(json.created_at)
    this.updatedAt = date(json.updated_at)
    this.lastSignInAt = date(json.last_sign_in_at)
  }

  get primaryEmailAddress(): EmailAddressResource | null {
    return this.emailAddresses.find((e) => e.id === this.primaryEmailAddressId) ?? null
  }

  get fullName(): string | null {
    const name = [this.firstName, this.lastName].filter(Boolean).join(' ')
    return name || null
  }

  /** Updates the profile (`PATCH /v1/me`). */
  async update(params: {
    firstName?: string | null
    lastName?: string | null
    username?: string | null
    /** Only a verified address of the user can be primary. */
    primaryEmailAddressId?: string
  }): Promise<UserResource> {
    const json = await this.#ctx.fapi.request<UserJSON>({
      method: 'PATCH',
      path: '/v1/me',
      sessionId: this.#sessionId,
      body: {
        first_name: params.firstName ?? (params.firstName === null ? '' : undefined),
        last_name: params.lastName ?? (params.lastName === null ? '' : undefined),
        username: params.username ?? undefined,
        primary_email_address_id: params.primaryEmailAddressId,
      },
    })
    this.#ctx.changed()
    return new UserResource(json, this.#ctx, this.#sessionId)
  }

  /**
   * Adds an unverified address (`POST /v1/me/email_addresses`); prove it with its
   * `prepareVerification()` and `attemptVerification()`.
   */
  async createEmailAddress(params: { email: string }): Promise<EmailAddressResource> {
    const json = await this.#ctx.fapi.request<EmailAddressJSON>({
      method: 'POST',
      path: '/v1/me/email_addresses',
      sessionId: this.#sessionId,
      body: { email_address: params.email },
    })
    this.#ctx.changed()
    return new EmailAddressResource(json, this.#ctx, this.#sessionId)
  }

  /** Changes the password (`POST /v1/me/change_password`). */
  async updatePassword(params: {
    currentPassword?: string
    newPassword: string
    signOutOfOtherSessions?: boolean
  }): Promise<UserResource> {
    const json = await this.#ctx.fapi.request<UserJSON>({
      method: 'POST',
      path: '/v1/me/change_password',
      sessionId: this.#sessionId,
      body: {
        current_password: params.currentPassword,
        new_password: params.newPassword,
        sign_out_of_other_sessions: params.signOutOfOtherSessions,
      },
    })
    this.#ctx.changed()
    return new UserResource(json, this.#ctx, this.#sessionId)
  }

  /**
   * Starts setting up an authenticator app (`POST /v1/me/totp`): the secret and its
   * `otpauth://` URI, for a QR code. It is on once {@link verifyTOTP} proves a code.
   */
  async createTOTP(): Promise<TOTPResource> {
    return new TOTPResource(await this.#me<TOTPJSON>('POST', '/v1/me/totp'))
  }

  /**
   * Proves the app with a code it shows (`POST /v1/me/totp/attempt_verification`): TOTP is on,
   * and the first time the answer carries the backup codes, shown only here.
   */
  async verifyTOTP(params: { code: string }): Promise<TOTPResource> {
    const json = await this.#me<TOTPJSON>('POST', '/v1/me/totp/attempt_verification', {
      code: params.code,
    })
    this.#ctx.changed()
    return new TOTPResource(json)
  }

  /** Removes the authenticator app, and the backup codes with it (`DELETE /v1/me/totp`). */
  async disableTOTP(): Promise<DeletedObjectResource> {
    const json = await this.#me<DeletedObjectJSON>('DELETE', '/v1/me/totp')
    this.#ctx.changed()
    return deletedObject(json)
  }

  /** A new set of backup codes replacing the old ones (`POST /v1/me/backup_codes`). */
  async createBackupCode(): Promise<BackupCodeResource> {
    const json = await this.#me<BackupCodeJSON>('POST', '/v1/me/backup_codes')
    this.#ctx.changed()
    return new BackupCodeResource(json)
  }

  /**
   * Adds a passkey (Clerk's `user.createPasskey()`): the browser asks the user's authenticator
   * to make one for this site, and the server keeps its public key. Throws
   * {@link LatchkeyWebAuthnError} if the user cancels the prompt.
   *
   * @example
   * const passkey = await user.createPasskey()
   */
  createPasskey(): Promise<PasskeyResource> {
    return PasskeyResource.create(this.#ctx, this.#sessionId)
  }

  /**
   * Starts connecting another provider (Clerk's `user.createExternalAccount()`): send the
   * browser to the answer's `verification.externalVerificationRedirectURL`; the provider returns
   * it to `redirectUrl` with the account linked (or `latchkey_error=<code>` added on refusal).
   */
  createExternalAccount(params: {
    strategy: string
    redirectUrl: string
    additionalScopes?: string[]
  }): Promise<ExternalAccountResource> {
    return ExternalAccountResource.create(this.#ctx, this.#sessionId, params)
  }

  #me<T>(method: 'POST' | 'DELETE', path: string, body?: Record<string, string>): Promise<T> {
    return this.#ctx.fapi.request<T>({
      method,
      path,
      sessionId: this.#sessionId,
      ...(body ? { body } : {}),
    })
  }

  /** The user's active sessions on every device (`GET /v1/me/sessions/active`). */
  async getSessions(): Promise<SessionWithActivitiesResource[]> {
    const list = await this.#ctx.fapi.bare<ActiveSessionJSON[]>({
      method: 'GET',
      path: '/v1/me/sessions/active',
      sessionId: this.#sessionId,
    })
    return list.map((s) => new SessionWithActivitiesResource(s, this.#ctx, this.#sessionId))
  }
}

/** Another session of the user, as the profile lists it (Clerk's `SessionWithActivities`). */
export class SessionWithActivitiesResource {
  readonly id: string
  readonly status: string
  readonly lastActiveAt: Date | null
  readonly expireAt: Date | null
  readonly createdAt: Date | null
  readonly latestActivity: ActiveSessionJSON['latest_activity']
  readonly #ctx: ResourceContext
  readonly #actingSessionId: string

  constructor(json: ActiveSessionJSON, ctx: ResourceContext, actingSessionId: string) {
    this.#ctx = ctx
    this.#actingSessionId = actingSessionId
    this.id = json.id
    this.status = json.status
    this.lastActiveAt = date(json.last_active_at)
    this.expireAt = date(json.expire_at)
    this.createdAt = date(json.created_at)
    this.latestActivity = json.latest_activity
  }

  /** Revokes this session wherever it is (`POST /v1/me/sessions/{id}/revoke`). */
  async revoke(): Promise<void> {
    await this.#ctx.fapi.request({
      method: 'POST',
      path: `/v1/me/sessions/${encodeURIComponent(this.id)}/revoke`,
      sessionId: this.#actingSessionId,
    })
    this.#ctx.changed()
  }
}

/** A task a `pending` session must finish before it is active (Clerk's `SessionTask`). */
export type SessionTask = { key: string }

/**
 * A session of this browser (Clerk's `SessionResource`). `status` is `active`, or `pending`
 * while it has {@link tasks} to do (`setup-mfa`: the operator requires two-step verification);
 * a pending session is not signed in (`Latchkey.session` skips it) until its tasks are done.
 */
export class SessionResource {
  readonly id: string
  readonly status: string
  readonly tasks: SessionTask[] | null
  readonly user: UserResource
  readonly lastActiveAt: Date | null
  readonly expireAt: Date | null
  readonly abandonAt: Date | null
  readonly createdAt: Date | null
  readonly #ctx: ResourceContext

  constructor(json: SessionJSON, ctx: ResourceContext) {
    this.#ctx = ctx
    this.id = json.id
    this.status = json.status
    this.tasks = json.tasks?.length ? json.tasks.map((t) => ({ key: t.key })) : null
    this.user = new UserResource(json.user, ctx, json.id)
    this.lastActiveAt = date(json.last_active_at)
    this.expireAt = date(json.expire_at)
    this.abandonAt = date(json.abandon_at)
    this.createdAt = date(json.created_at)
  }

  /**
   * A session token (or a template's token): cached for its life, renewed before it expires,
   * `null` once signed out.
   */
  getToken(options?: GetTokenOptions): Promise<string | null> {
    return this.#ctx.getToken(this.id, options)
  }

  /** Signs this session out (`POST /v1/client/sessions/{id}/end`). */
  async end(): Promise<void> {
    await this.#ctx.fapi.request({
      method: 'POST',
      path: `/v1/client/sessions/${encodeURIComponent(this.id)}/end`,
    })
    this.#ctx.changed()
  }

  /** The first task still to do, or `null` (Clerk's `currentTask`). */
  get currentTask(): SessionTask | null {
    return this.tasks?.[0] ?? null
  }

  /**
   * Starts a step-up (`POST /v1/client/sessions/{id}/verify`, Clerk's reverification): the
   * user proves a factor again, replacing any step-up of this session under way. A user without
   * a second factor asked for `second_factor` gets `first_factor`.
   */
  startVerification(params: {
    level: SessionVerificationLevel
  }): Promise<SessionVerificationResource> {
    return this.#verify('', { level: params.level })
  }

  /** Sends what the first factor needs: an email code (`password` needs nothing). */
  prepareFirstFactorVerification(params: {
    strategy: 'password' | 'email_code'
    emailAddressId?: string
  }): Promise<SessionVerificationResource> {
    return this.#verify('/prepare_first_factor', {
      strategy: params.strategy,
      email_address_id: params.emailAddressId,
    })
  }

  /** Proves the first factor: the password, or the emailed code. */
  attemptFirstFactorVerification(
    params: { strategy: 'password'; password: string } | { strategy: 'email_code'; code: string },
  ): Promise<SessionVerificationResource> {
    return this.#verify('/attempt_first_factor', {
      strategy: params.strategy,
      ...('password' in params ? { password: params.password } : { code: params.code }),
    })
  }

  /** Nothing to send for `totp` and `backup_code`; accepted for Clerk's flow. */
  prepareSecondFactorVerification(params: {
    strategy: 'totp' | 'backup_code'
  }): Promise<SessionVerificationResource> {
    return this.#verify('/prepare_second_factor', { strategy: params.strategy })
  }

  /** Proves the second factor: the authenticator's code, or a backup code (each works once). */
  attemptSecondFactorVerification(params: {
    strategy: 'totp' | 'backup_code'
    code: string
  }): Promise<SessionVerificationResource> {
    return this.#verify('/attempt_second_factor', { strategy: params.strategy, code: params.code })
  }

  async #verify(
    step: string,
    body: Record<string, string | undefined>,
  ): Promise<SessionVerificationResource> {
    const json = await this.#ctx.fapi.request<SessionVerificationJSON>({
      method: 'POST',
      path: `/v1/client/sessions/${encodeURIComponent(this.id)}/verify${step}`,
      body,
    })
    return new SessionVerificationResource(json)
  }

  /** Marks the session active now (`POST /v1/client/sessions/{id}/touch`). */
  async touch(): Promise<void> {
    await this.#ctx.fapi.request({
      method: 'POST',
      path: `/v1/client/sessions/${encodeURIComponent(this.id)}/touch`,
    })
  }
}

/** This browser's client: its sessions and any sign-in or sign-up under way. */
export class ClientResource {
  readonly id: string | null
  readonly sessions: SessionResource[]
  readonly lastActiveSessionId: string | null
  readonly signIn: SignInResource
  readonly signUp: SignUpResource

  constructor(json: ClientJSON | null, ctx: ResourceContext) {
    this.id = json?.id ?? null
    this.sessions = (json?.sessions ?? []).map((s) => new SessionResource(s, ctx))
    this.lastActiveSessionId = json?.last_active_session_id ?? null
    this.signIn = new SignInResource(json?.sign_in ?? null, ctx)
    this.signUp = new SignUpResource(json?.sign_up ?? null, ctx)
  }

  get activeSessions(): SessionResource[] {
    return this.sessions.filter((s) => s.status === 'active')
  }

  /** Active sessions and those `pending` a task (Clerk's `signedInSessions`). */
  get signedInSessions(): SessionResource[] {
    return this.sessions.filter((s) => s.status === 'active' || s.status === 'pending')
  }
}
