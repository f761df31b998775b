import { getCredential } from './passkey-resource.js'
import type { ResourceContext } from './resources.js'
import {
  type EmailLinkFlow,
  emailLinkFlow,
  goTo,
  type VerificationJSON,
  VerificationResource,
} from './verification.js'

/** One way the sign-in's user may prove who they are (fapi spec `Stubs.SignInFactor`). */
export type SignInFactorJSON = {
  strategy: string
  safe_identifier?: string
  email_address_id?: string
  primary?: boolean
}
export type SignInJSON = {
  id: string
  status: string
  identifier: string | null
  created_session_id: string | null
  supported_first_factors?: SignInFactorJSON[] | null
  supported_second_factors?: SignInFactorJSON[] | null
  first_factor_verification?: VerificationJSON | null
  second_factor_verification?: VerificationJSON | null
}

/** Clerk's `SignInFactor`, in SDK casing. */
export type SignInFactor = {
  strategy: string
  safeIdentifier?: string
  emailAddressId?: string
  primary?: boolean
}

export type SignInFirstFactorStrategy =
  | 'password'
  | 'email_code'
  | 'email_link'
  | 'reset_password_email_code'
  | 'passkey'
  | 'enterprise_sso'
  | OAuthStrategy

/** A social connection's strategy, as `user_settings.social` names it (`oauth_google`, …). */
export type OAuthStrategy = `oauth_${string}`

/** Clerk's `authenticateWithRedirect` parameters. */
export type AuthenticateWithRedirectParams = {
  /** A social connection, or `enterprise_sso`: the identifier's email domain picks the IdP. */
  strategy: OAuthStrategy | 'enterprise_sso'
  /** Where the provider's answer lands: a page that calls `handleRedirectCallback()`. */
  redirectUrl: string
  /** Where the browser goes once signed in, when no further step is needed. */
  redirectUrlComplete: string
  /** `enterprise_sso`: the email address whose domain chooses the connection. */
  identifier?: string
  /**
   * `enterprise_sso`: go on with this sign-in (created with the identifier, which offered
   * `enterprise_sso`) instead of starting another (Clerk's name).
   */
  continueSignIn?: boolean
}

/**
 * The second factors a sign-in may ask for once the first is proved (`needs_second_factor`).
 * Clerk also has `phone_code` and `email_code` here; Latchkey's server has neither as a second
 * factor yet (issue #17).
 */
export type SignInSecondFactorStrategy = 'totp' | 'backup_code'

export const factorOf = (f: SignInFactorJSON): SignInFactor => ({
  strategy: f.strategy,
  ...(f.safe_identifier !== undefined ? { safeIdentifier: f.safe_identifier } : {}),
  ...(f.email_address_id !== undefined ? { emailAddressId: f.email_address_id } : {}),
  ...(f.primary !== undefined ? { primary: f.primary } : {}),
})

/**
 * A sign-in attempt (Clerk's `SignInResource`): `needs_first_factor` until a password, a code
 * or a link proves the user, `needs_new_password` in the reset flow, `needs_second_factor` for
 * a user with an authenticator app or backup codes, then `complete`.
 */
export class SignInResource {
  readonly id: string | null
  readonly status: string | null
  readonly identifier: string | null
  readonly createdSessionId: string | null
  readonly supportedFirstFactors: SignInFactor[]
  /** What the user set up (`totp`, `backup_code`), once the first factor is proved. */
  readonly supportedSecondFactors: SignInFactor[]
  readonly firstFactorVerification: VerificationResource
  readonly secondFactorVerification: VerificationResource
  readonly #ctx: ResourceContext

  constructor(json: SignInJSON | null, ctx: ResourceContext) {
    this.#ctx = ctx
    this.id = json?.id ?? null
    this.status = json?.status ?? null
    this.identifier = json?.identifier ?? null
    this.createdSessionId = json?.created_session_id ?? null
    this.supportedFirstFactors = (json?.supported_first_factors ?? []).map(factorOf)
    this.supportedSecondFactors = (json?.supported_second_factors ?? []).map(factorOf)
    this.firstFactorVerification = new VerificationResource(json?.first_factor_verification)
    this.secondFactorVerification = new VerificationResource(json?.second_factor_verification)
  }

  #path(step = ''): string {
    if (!this.id) throw new Error('Call signIn.create() first.')
    return `/v1/client/sign_ins/${encodeURIComponent(this.id)}${step}`
  }

  async #post(path: string, body: Record<string, string | boolean | undefined>) {
    const json = await this.#ctx.fapi.request<SignInJSON>({ method: 'POST', path, body })
    return new SignInResource(json, this.#ctx)
  }

  /**
   * Starts a sign-in. With a password it completes in one call; with `strategy: 'email_code'`
   * or `'email_link'` the code or link is sent at once.
   */
  create(params: {
    /** Left out with `strategy: 'passkey'`: a discoverable (usernameless) passkey sign-in. */
    identifier?: string
    password?: string
    strategy?: SignInFirstFactorStrategy
    redirectUrl?: string
    /** `oauth_*`: where the browser lands once the sign-in completes. */
    actionCompleteRedirectUrl?: string
    /** Clerk's transfer: the client's sign-up found an account that exists; sign it in. */
    transfer?: boolean
  }): Promise<SignInResource> {
    return this.#post('/v1/client/sign_ins', {
      identifier: params.identifier,
      password: params.password,
      strategy: params.strategy,
      redirect_url: params.redirectUrl,
      action_complete_redirect_url: params.actionCompleteRedirectUrl,
      ...(params.transfer ? { transfer: true } : {}),
    })
  }

  /**
   * "Continue with <provider>" (Clerk's `authenticateWithRedirect`): starts a sign-in with the
   * social connection's strategy and sends the browser to the provider. It comes back to
   * `redirectUrl`, whose page calls `latchkey.handleRedirectCallback()`.
   *
   * @example
   * await latchkey.client.signIn.authenticateWithRedirect({
   *   strategy: 'oauth_google',
   *   redirectUrl: `${location.origin}/sso-callback`,
   *   redirectUrlComplete: `${location.origin}/`,
   * })
   */
  async authenticateWithRedirect(params: AuthenticateWithRedirectParams): Promise<void> {
    const signIn =
      params.continueSignIn && this.id && params.strategy === 'enterprise_sso'
        ? await this.prepareFirstFactor({
            strategy: 'enterprise_sso',
            redirectUrl: params.redirectUrl,
            actionCompleteRedirectUrl: params.redirectUrlComplete,
          })
        : await this.create({
            strategy: params.strategy,
            ...(params.identifier ? { identifier: params.identifier } : {}),
            redirectUrl: params.redirectUrl,
            actionCompleteRedirectUrl: params.redirectUrlComplete,
          })
    const to = signIn.firstFactorVerification.externalVerificationRedirectURL
    if (!to) throw new Error(`The server gave no redirect for ${params.strategy}.`)
    goTo(to.href)
  }

  /** Sends the code or link of `strategy` to the address (`POST …/prepare_first_factor`). */
  prepareFirstFactor(params: {
    strategy: Exclude<SignInFirstFactorStrategy, 'password'>
    emailAddressId?: string
    redirectUrl?: string
    /** `enterprise_sso`: where the browser lands once the sign-in completes. */
    actionCompleteRedirectUrl?: string
  }): Promise<SignInResource> {
    return this.#post(this.#path('/prepare_first_factor'), {
      strategy: params.strategy,
      email_address_id: params.emailAddressId,
      redirect_url: params.redirectUrl,
      action_complete_redirect_url: params.actionCompleteRedirectUrl,
    })
  }

  /**
   * Proves the first factor with a password, the code from the mail, or a passkey's assertion
   * (`publicKeyCredential`, JSON: {@link authenticateWithPasskey} makes it).
   */
  attemptFirstFactor(
    params:
      | { strategy: 'password'; password: string }
      | { strategy: 'email_code' | 'reset_password_email_code'; code: string }
      | { strategy: 'passkey'; publicKeyCredential: string },
  ): Promise<SignInResource> {
    return this.#post(this.#path('/attempt_first_factor'), {
      strategy: params.strategy,
      ...('password' in params
        ? { password: params.password }
        : 'code' in params
          ? { code: params.code }
          : { public_key_credential: params.publicKeyCredential }),
    })
  }

  /**
   * Signs in with a passkey (Clerk's `authenticateWithPasskey()`). With `flow: 'discoverable'`
   * no identifier is needed: a new sign-in is started and the browser offers the passkeys it
   * holds for this site. Without it, call after `create({ identifier })` for a user whose
   * `supportedFirstFactors` include `passkey`. Resolves with the `complete` sign-in; throws
   * {@link LatchkeyWebAuthnError} when the user cancels the prompt.
   *
   * @example
   * const signIn = await clerk.client.signIn.authenticateWithPasskey({ flow: 'discoverable' })
   * await clerk.setActive({ session: signIn.createdSessionId })
   */
  async authenticateWithPasskey(params: { flow?: 'discoverable' } = {}): Promise<SignInResource> {
    let signIn: SignInResource
    if (params.flow === 'discoverable') signIn = await this.create({ strategy: 'passkey' })
    else {
      if (!this.supportedFirstFactors.some((f) => f.strategy === 'passkey'))
        throw new Error(
          'This sign-in offers no passkey: call signIn.create({ identifier }) first, or use { flow: "discoverable" }.',
        )
      signIn = await this.prepareFirstFactor({ strategy: 'passkey' })
    }
    const credential = await getCredential(signIn.firstFactorVerification.nonce)
    return signIn.attemptFirstFactor({ strategy: 'passkey', publicKeyCredential: credential })
  }

  /**
   * Readies the second factor (`POST …/prepare_second_factor`). An authenticator app's code or a
   * backup code needs nothing sent, so for `totp` and `backup_code` this only checks the step.
   */
  prepareSecondFactor(params: { strategy: SignInSecondFactorStrategy }): Promise<SignInResource> {
    return this.#post(this.#path('/prepare_second_factor'), { strategy: params.strategy })
  }

  /**
   * Proves the second factor (`POST …/attempt_second_factor`) with the authenticator app's code
   * or a backup code (each backup code works once); proved, the sign-in is `complete`.
   *
   * @example
   * const done = await signIn.attemptSecondFactor({ strategy: 'totp', code: '123456' })
   * if (done.status === 'complete') await clerk.setActive({ session: done.createdSessionId })
   */
  attemptSecondFactor(params: {
    strategy: SignInSecondFactorStrategy
    code: string
  }): Promise<SignInResource> {
    return this.#post(this.#path('/attempt_second_factor'), {
      strategy: params.strategy,
      code: params.code,
    })
  }

  /** Sets the new password once the reset code was accepted (`needs_new_password`). */
  resetPassword(params: {
    password: string
    signOutOfOtherSessions?: boolean
  }): Promise<SignInResource> {
    return this.#post(this.#path('/reset_password'), {
      password: params.password,
      sign_out_of_other_sessions: params.signOutOfOtherSessions,
    })
  }

  /** The sign-in as the server has it now (`GET /v1/client/sign_ins/{id}`). */
  async reload(): Promise<SignInResource> {
    const json = await this.#ctx.fapi.request<SignInJSON>({ method: 'GET', path: this.#path() })
    return new SignInResource(json, this.#ctx)
  }

  /**
   * Clerk's email link sign-in: sends the link, then polls this sign-in until the link was
   * opened (status `complete`) or the verification expired or failed.
   */
  createEmailLinkFlow(): EmailLinkFlow<
    SignInResource,
    { emailAddressId?: string; redirectUrl: string }
  > {
    let current: SignInResource = this
    return emailLinkFlow({
      prepare: async (p) => {
        current = await current.prepareFirstFactor({ strategy: 'email_link', ...p })
        return current
      },
      reload: async () => {
        current = await current.reload()
        return current
      },
      done: (s) => s.status === 'complete' || s.firstFactorVerification.settled,
    })
  }
}
