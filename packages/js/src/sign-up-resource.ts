import type { ResourceContext } from './resources.js'
import type { AuthenticateWithRedirectParams, OAuthStrategy } from './sign-in-resource.js'
import {
  type EmailLinkFlow,
  emailLinkFlow,
  goTo,
  type VerificationJSON,
  VerificationResource,
} from './verification.js'

export type SignUpJSON = {
  id: string
  status: string
  email_address: string | null
  first_name: string | null
  last_name: string | null
  username: string | null
  created_session_id: string | null
  created_user_id: string | null
  missing_fields?: string[]
  unverified_fields?: string[]
  verifications?: {
    email_address?: VerificationJSON | null
    external_account?: VerificationJSON | null
  } | null
}

/**
 * A sign-up attempt (Clerk's `SignUpResource`): `missing_requirements` while the email address
 * waits for its proof (`unverifiedFields`), then `complete` with the new user's session.
 */
export class SignUpResource {
  readonly id: string | null
  readonly status: string | null
  readonly emailAddress: string | null
  readonly firstName: string | null
  readonly lastName: string | null
  readonly username: string | null
  readonly createdSessionId: string | null
  readonly createdUserId: string | null
  readonly missingFields: string[]
  readonly unverifiedFields: string[]
  readonly verifications: {
    emailAddress: VerificationResource
    /** `oauth_*`: the provider's proof, for a sign-up that started with one. */
    externalAccount: VerificationResource
  }
  readonly #ctx: ResourceContext

  constructor(json: SignUpJSON | null, ctx: ResourceContext) {
    this.#ctx = ctx
    this.id = json?.id ?? null
    this.status = json?.status ?? null
    this.emailAddress = json?.email_address ?? null
    this.firstName = json?.first_name ?? null
    this.lastName = json?.last_name ?? null
    this.username = json?.username ?? null
    this.createdSessionId = json?.created_session_id ?? null
    this.createdUserId = json?.created_user_id ?? null
    this.missingFields = json?.missing_fields ?? []
    this.unverifiedFields = json?.unverified_fields ?? []
    this.verifications = {
      emailAddress: new VerificationResource(json?.verifications?.email_address),
      externalAccount: new VerificationResource(json?.verifications?.external_account),
    }
  }

  #path(step = ''): string {
    if (!this.id) throw new Error('Call signUp.create() first.')
    return `/v1/client/sign_ups/${encodeURIComponent(this.id)}${step}`
  }

  async #send(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: Record<string, string | undefined>,
  ) {
    const json = await this.#ctx.fapi.request<SignUpJSON>({
      method,
      path,
      ...(body ? { body } : {}),
    })
    return new SignUpResource(json, this.#ctx)
  }

  create(params: {
    emailAddress?: string
    password?: string
    firstName?: string
    lastName?: string
    username?: string
    unsafeMetadata?: Record<string, unknown>
    /** Clerk's transfer: the client's sign-in came back from a provider with a new account. */
    transfer?: boolean
    /** `oauth_*`: a sign-up that starts at the provider (see {@link authenticateWithRedirect}). */
    strategy?: OAuthStrategy
    redirectUrl?: string
    actionCompleteRedirectUrl?: string
  }): Promise<SignUpResource> {
    return this.#send('POST', '/v1/client/sign_ups', {
      ...(params.transfer ? { transfer: 'true' } : {}),
      strategy: params.strategy,
      redirect_url: params.redirectUrl,
      action_complete_redirect_url: params.actionCompleteRedirectUrl,
      email_address: params.emailAddress,
      password: params.password,
      first_name: params.firstName || undefined,
      last_name: params.lastName || undefined,
      username: params.username || undefined,
      unsafe_metadata: params.unsafeMetadata ? JSON.stringify(params.unsafeMetadata) : undefined,
    })
  }

  /**
   * Adds what the sign-up is missing (`missingFields`, e.g. an address the provider did not
   * give): Clerk's `signUp.update()`, `PATCH /v1/client/sign_ups/{id}`.
   */
  update(params: {
    emailAddress?: string
    username?: string
    firstName?: string
    lastName?: string
  }): Promise<SignUpResource> {
    return this.#send('PATCH', this.#path(), {
      email_address: params.emailAddress,
      username: params.username || undefined,
      first_name: params.firstName || undefined,
      last_name: params.lastName || undefined,
    })
  }

  /**
   * "Continue with <provider>" from a sign-up (Clerk's `authenticateWithRedirect`): the sign-up
   * starts at the provider; an account that already exists comes back as a sign-in to transfer
   * to, which `latchkey.handleRedirectCallback()` does.
   */
  async authenticateWithRedirect(
    params: Pick<AuthenticateWithRedirectParams, 'redirectUrl' | 'redirectUrlComplete'> & {
      strategy: OAuthStrategy
    },
  ): Promise<void> {
    const signUp = await this.create({
      strategy: params.strategy,
      redirectUrl: params.redirectUrl,
      actionCompleteRedirectUrl: params.redirectUrlComplete,
    })
    const to = signUp.verifications.externalAccount.externalVerificationRedirectURL
    if (!to) throw new Error(`The server gave no redirect for ${params.strategy}.`)
    goTo(to.href)
  }

  /** Sends a code (`email_code`) or a link (`email_link`, landing on `redirectUrl`). */
  prepareVerification(params: {
    strategy: 'email_code' | 'email_link'
    redirectUrl?: string
  }): Promise<SignUpResource> {
    return this.#send('POST', this.#path('/prepare_verification'), {
      strategy: params.strategy,
      redirect_url: params.redirectUrl,
    })
  }

  /** Proves the address with the code from the mail; the sign-up then completes. */
  attemptVerification(params: { strategy: 'email_code'; code: string }): Promise<SignUpResource> {
    return this.#send('POST', this.#path('/attempt_verification'), {
      strategy: params.strategy,
      code: params.code,
    })
  }

  /** Clerk's shorthand for {@link prepareVerification} of the email address. */
  prepareEmailAddressVerification(
    params: { strategy?: 'email_code' | 'email_link'; redirectUrl?: string } = {},
  ): Promise<SignUpResource> {
    return this.prepareVerification({
      strategy: params.strategy ?? 'email_code',
      ...(params.redirectUrl ? { redirectUrl: params.redirectUrl } : {}),
    })
  }

  /** Clerk's shorthand for {@link attemptVerification} with the email code. */
  attemptEmailAddressVerification(params: { code: string }): Promise<SignUpResource> {
    return this.attemptVerification({ strategy: 'email_code', code: params.code })
  }

  /** The sign-up as the server has it now (`GET /v1/client/sign_ups/{id}`). */
  reload(): Promise<SignUpResource> {
    return this.#send('GET', this.#path())
  }

  /**
   * Clerk's email link verification: sends the link, then polls this sign-up until the link
   * was opened (status `complete`, in this browser, any tab) or it expired or failed.
   */
  createEmailLinkFlow(): EmailLinkFlow<SignUpResource, { redirectUrl: string }> {
    let current: SignUpResource = this
    return emailLinkFlow({
      prepare: async (p) => {
        current = await current.prepareVerification({ strategy: 'email_link', ...p })
        return current
      },
      reload: async () => {
        current = await current.reload()
        return current
      },
      done: (s) => s.status === 'complete' || s.verifications.emailAddress.settled,
    })
  }
}
