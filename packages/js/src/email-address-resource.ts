import type { ResourceContext } from './resources.js'
import { type VerificationJSON, VerificationResource } from './verification.js'

export type EmailAddressJSON = {
  id: string
  email_address: string
  verification: VerificationJSON | null
}

/**
 * One of the user's email addresses (Clerk's `EmailAddressResource`): a new one is proved with
 * a code ({@link prepareVerification}, {@link attemptVerification}) before it can be primary.
 */
export class EmailAddressResource {
  readonly id: string
  readonly emailAddress: string
  readonly verification: VerificationResource
  readonly #ctx: ResourceContext | undefined
  readonly #sessionId: string | undefined

  constructor(json: EmailAddressJSON, ctx?: ResourceContext, sessionId?: string) {
    this.id = json.id
    this.emailAddress = json.email_address
    this.verification = new VerificationResource(json.verification)
    this.#ctx = ctx
    this.#sessionId = sessionId
  }

  get verified(): boolean {
    return this.verification.status === 'verified'
  }

  toString(): string {
    return this.emailAddress
  }

  async #call(method: 'GET' | 'POST' | 'DELETE', step: string, body?: Record<string, string>) {
    if (!this.#ctx || !this.#sessionId) throw new Error('This email address is not the user’s.')
    const path = `/v1/me/email_addresses/${encodeURIComponent(this.id)}${step}`
    return this.#ctx.fapi.request<EmailAddressJSON>({
      method,
      path,
      sessionId: this.#sessionId,
      ...(body ? { body } : {}),
    })
  }

  #wrap(json: EmailAddressJSON): EmailAddressResource {
    this.#ctx?.changed()
    return new EmailAddressResource(json, this.#ctx, this.#sessionId)
  }

  /** Sends a verification code to this address (`POST …/prepare_verification`). */
  async prepareVerification(
    params: { strategy: 'email_code' } = { strategy: 'email_code' },
  ): Promise<EmailAddressResource> {
    return this.#wrap(await this.#call('POST', '/prepare_verification', params))
  }

  /** Proves this address with the code from the mail (`POST …/attempt_verification`). */
  async attemptVerification(params: { code: string }): Promise<EmailAddressResource> {
    return this.#wrap(await this.#call('POST', '/attempt_verification', { code: params.code }))
  }

  /** Removes this address from the user (`DELETE /v1/me/email_addresses/{id}`). */
  async destroy(): Promise<void> {
    await this.#call('DELETE', '')
    this.#ctx?.changed()
  }

  /** The address as the server has it now. */
  async reload(): Promise<EmailAddressResource> {
    return new EmailAddressResource(await this.#call('GET', ''), this.#ctx, this.#sessionId)
  }
}
