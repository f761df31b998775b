// Passkeys in the browser (issue #17): Clerk's `PasskeyResource` and the two WebAuthn ceremonies.
// The options arrive as JSON in a verification's `nonce`; @simplewebauthn/browser turns them into
// the buffers `navigator.credentials` wants and the credential back into JSON for the server.
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from '@simplewebauthn/browser'
import type { DeletedObjectJSON, DeletedObjectResource } from './mfa-resources.js'
import { deletedObject } from './mfa-resources.js'
import type { ResourceContext } from './resources.js'
import { type VerificationJSON, VerificationResource } from './verification.js'

export type PasskeyJSON = {
  object: 'passkey'
  id: string
  name: string | null
  last_used_at: number | null
  verification: VerificationJSON | null
  created_at: number
  updated_at: number
}

/** Clerk's `ClerkWebAuthnError` codes, for what the browser's ceremony (not the server) refused. */
export type WebAuthnErrorCode =
  | 'passkey_not_supported'
  | 'passkey_invalid_rpID_or_domain'
  | 'passkey_already_exists'
  | 'passkey_operation_aborted'
  | 'passkey_registration_cancelled'
  | 'passkey_registration_failed'
  | 'passkey_retrieval_cancelled'
  | 'passkey_retrieval_failed'

/**
 * The browser or the authenticator stopped a passkey ceremony (Clerk's `ClerkWebAuthnError`):
 * `passkey_registration_cancelled` / `passkey_retrieval_cancelled` when the user closed the
 * prompt or it timed out, `passkey_already_exists` when this authenticator already holds one of
 * the user's passkeys. Nothing reached the server.
 */
export class LatchkeyWebAuthnError extends Error {
  readonly code: WebAuthnErrorCode
  constructor(message: string, code: WebAuthnErrorCode, cause?: unknown) {
    super(message, { cause })
    this.name = 'LatchkeyWebAuthnError'
    this.code = code
  }
}

function ceremonyError(err: unknown, kind: 'registration' | 'retrieval'): unknown {
  if (err instanceof LatchkeyWebAuthnError) return err
  const name = err instanceof Error ? err.name : ''
  const code = err instanceof WebAuthnError ? err.code : ''
  const message = err instanceof Error ? err.message : String(err)
  if (name === 'NotAllowedError' || code === 'ERROR_CEREMONY_ABORTED')
    return new LatchkeyWebAuthnError(message, `passkey_${kind}_cancelled`, err)
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError')
    return new LatchkeyWebAuthnError(message, 'passkey_already_exists', err)
  if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError')
    return new LatchkeyWebAuthnError(message, 'passkey_invalid_rpID_or_domain', err)
  if (name === 'AbortError') return new LatchkeyWebAuthnError(message, 'passkey_operation_aborted')
  if (name === 'NotSupportedError' || (err instanceof Error && /not supported/i.test(message)))
    return new LatchkeyWebAuthnError(message, 'passkey_not_supported', err)
  return new LatchkeyWebAuthnError(message, `passkey_${kind}_failed`, err)
}

function optionsOf<T>(nonce: string | null | undefined): T {
  if (!nonce)
    throw new LatchkeyWebAuthnError(
      'The server sent no passkey options.',
      'passkey_retrieval_failed',
    )
  return JSON.parse(nonce) as T
}

/** `navigator.credentials.create` with the creation options in `nonce`: the attestation as JSON. */
export async function createCredential(nonce: string | null | undefined): Promise<string> {
  const optionsJSON = optionsOf<PublicKeyCredentialCreationOptionsJSON>(nonce)
  try {
    return JSON.stringify(await startRegistration({ optionsJSON }))
  } catch (err) {
    throw ceremonyError(err, 'registration')
  }
}

/** `navigator.credentials.get` with the request options in `nonce`: the assertion as JSON. */
export async function getCredential(nonce: string | null | undefined): Promise<string> {
  const optionsJSON = optionsOf<PublicKeyCredentialRequestOptionsJSON>(nonce)
  try {
    return JSON.stringify(await startAuthentication({ optionsJSON }))
  } catch (err) {
    throw ceremonyError(err, 'retrieval')
  }
}

const date = (ms: number | null | undefined) => (ms == null ? null : new Date(ms))

/**
 * One of the user's passkeys (Clerk's `PasskeyResource`): its name, when it was added and last
 * used; rename it or remove it.
 *
 * @example
 * const passkey = await user.createPasskey()
 * await passkey.update({ name: 'Work laptop' })
 * await passkey.delete()
 */
export class PasskeyResource {
  readonly id: string
  readonly name: string | null
  readonly lastUsedAt: Date | null
  readonly createdAt: Date | null
  readonly updatedAt: Date | null
  readonly verification: VerificationResource | null
  readonly #ctx: ResourceContext
  readonly #sessionId: string

  constructor(json: PasskeyJSON, ctx: ResourceContext, sessionId: string) {
    this.#ctx = ctx
    this.#sessionId = sessionId
    this.id = json.id
    this.name = json.name
    this.lastUsedAt = date(json.last_used_at)
    this.createdAt = date(json.created_at)
    this.updatedAt = date(json.updated_at)
    this.verification = json.verification ? new VerificationResource(json.verification) : null
  }

  #path(step = '') {
    return `/v1/me/passkeys/${encodeURIComponent(this.id)}${step}`
  }

  /** Renames the passkey (`PATCH /v1/me/passkeys/{id}`). */
  async update(params: { name: string }): Promise<PasskeyResource> {
    const json = await this.#ctx.fapi.request<PasskeyJSON>({
      method: 'PATCH',
      path: this.#path(),
      sessionId: this.#sessionId,
      body: { name: params.name },
    })
    this.#ctx.changed()
    return new PasskeyResource(json, this.#ctx, this.#sessionId)
  }

  /** Removes the passkey from the account (`DELETE /v1/me/passkeys/{id}`). */
  async delete(): Promise<DeletedObjectResource> {
    const json = await this.#ctx.fapi.request<DeletedObjectJSON>({
      method: 'DELETE',
      path: this.#path(),
      sessionId: this.#sessionId,
    })
    this.#ctx.changed()
    return deletedObject(json)
  }

  /**
   * Registers a new passkey for the session's user: `POST /v1/me/passkeys` gives the creation
   * options, the browser's authenticator makes the credential, and `…/attempt_verification`
   * hands it to the server (`user.createPasskey()` calls this).
   */
  static async create(ctx: ResourceContext, sessionId: string): Promise<PasskeyResource> {
    const made = await ctx.fapi.request<PasskeyJSON>({
      method: 'POST',
      path: '/v1/me/passkeys',
      sessionId,
    })
    const credential = await createCredential(made.verification?.nonce)
    const json = await ctx.fapi.request<PasskeyJSON>({
      method: 'POST',
      path: `/v1/me/passkeys/${encodeURIComponent(made.id)}/attempt_verification`,
      sessionId,
      body: { strategy: 'passkey', public_key_credential: credential },
    })
    ctx.changed()
    return new PasskeyResource(json, ctx, sessionId)
  }
}
