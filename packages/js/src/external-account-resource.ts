import type { DeletedObjectJSON, DeletedObjectResource } from './mfa-resources.js'
import { deletedObject } from './mfa-resources.js'
import type { ResourceContext } from './resources.js'

/** An external account on the wire (fapi spec `ExternalAccountWithVerification`), as read. */
export type ExternalAccountJSON = {
  object: 'external_account'
  id: string
  /** `oauth_<provider>`. */
  provider: string
  provider_user_id: string
  email_address: string
  first_name: string
  last_name: string
  approved_scopes: string
  created_at: number
  verification: {
    status: string
    strategy: string
    external_verification_redirect_url: string | null
  } | null
}

/**
 * One of the user's linked accounts at a provider (Clerk's `ExternalAccountResource`): which
 * provider, the account's email there; `reauthorize()` asks the provider again (more scopes),
 * `destroy()` disconnects it (refused when it is the last way to sign in).
 *
 * @example
 * const pending = await user.createExternalAccount({ strategy: 'oauth_google', redirectUrl })
 * window.location.assign(pending.verification.externalVerificationRedirectURL)
 */
export class ExternalAccountResource {
  readonly id: string
  /** `oauth_google`, `oauth_custom_acme`… */
  readonly provider: string
  readonly providerUserId: string
  readonly emailAddress: string
  readonly firstName: string
  readonly lastName: string
  readonly approvedScopes: string
  readonly verification: {
    status: string | null
    strategy: string | null
    externalVerificationRedirectURL: URL | null
  }
  readonly #ctx: ResourceContext
  readonly #sessionId: string

  constructor(json: ExternalAccountJSON, ctx: ResourceContext, sessionId: string) {
    this.#ctx = ctx
    this.#sessionId = sessionId
    this.id = json.id
    this.provider = json.provider
    this.providerUserId = json.provider_user_id
    this.emailAddress = json.email_address
    this.firstName = json.first_name
    this.lastName = json.last_name
    this.approvedScopes = json.approved_scopes
    const redirect = json.verification?.external_verification_redirect_url
    this.verification = {
      status: json.verification?.status ?? null,
      strategy: json.verification?.strategy ?? null,
      externalVerificationRedirectURL: redirect ? new URL(redirect) : null,
    }
  }

  /** Asks the provider again (`PATCH /v1/me/external_accounts/{id}/reauthorize`). */
  async reauthorize(params: {
    redirectUrl: string
    additionalScopes?: string[]
  }): Promise<ExternalAccountResource> {
    const json = await this.#ctx.fapi.request<ExternalAccountJSON>({
      method: 'PATCH',
      path: `/v1/me/external_accounts/${encodeURIComponent(this.id)}/reauthorize`,
      sessionId: this.#sessionId,
      body: {
        redirect_url: params.redirectUrl,
        additional_scope: params.additionalScopes?.join(' ') || undefined,
      },
    })
    return new ExternalAccountResource(json, this.#ctx, this.#sessionId)
  }

  /** Disconnects the account (`DELETE /v1/me/external_accounts/{id}`). */
  async destroy(): Promise<DeletedObjectResource> {
    const json = await this.#ctx.fapi.request<DeletedObjectJSON>({
      method: 'DELETE',
      path: `/v1/me/external_accounts/${encodeURIComponent(this.id)}`,
      sessionId: this.#sessionId,
    })
    this.#ctx.changed()
    return deletedObject(json)
  }

  /**
   * Starts connecting `strategy` for the session's user (`POST /v1/me/external_accounts`): the
   * account to be, whose `verification.externalVerificationRedirectURL` the browser must visit.
   */
  static async create(
    ctx: ResourceContext,
    sessionId: string,
    params: { strategy: string; redirectUrl: string; additionalScopes?: string[] },
  ): Promise<ExternalAccountResource> {
    const json = await ctx.fapi.request<ExternalAccountJSON>({
      method: 'POST',
      path: '/v1/me/external_accounts',
      sessionId,
      body: {
        strategy: params.strategy,
        redirect_url: params.redirectUrl,
        additional_scope: params.additionalScopes?.join(' ') || undefined,
      },
    })
    return new ExternalAccountResource(json, ctx, sessionId)
  }
}
