/**
 * The one error registry shared by the Frontend and Backend APIs and the SDKs. The HTTP status
 * of every code is fixed here, never at the throw site, so SDK users can `switch (err.code)`.
 * Codes use Clerk's vocabulary so Clerk's SDKs surface the same errors.
 */
export const ERRORS = {
  form_param_missing: { status: 422, message: 'is missing' },
  form_param_format_invalid: { status: 422, message: 'is invalid' },
  form_param_unknown: { status: 422, message: 'is not a recognized parameter' },
  form_param_value_invalid: { status: 422, message: 'has an invalid value' },
  form_param_nil: { status: 422, message: 'must not be empty' },
  form_identifier_not_found: { status: 422, message: "Couldn't find your account." },
  form_identifier_exists: { status: 422, message: 'That identifier is taken. Please try another.' },
  form_password_incorrect: {
    status: 422,
    message: 'Password is incorrect. Try again, or use another method.',
  },
  form_password_pwned: {
    status: 422,
    message:
      'Password has been found in an online data breach. For account safety, please use a different password.',
  },
  form_password_length_too_short: {
    status: 422,
    message: 'Passwords must be 8 characters or more.',
  },
  form_password_length_too_long: {
    status: 422,
    message: 'Passwords must be 256 characters or fewer.',
  },
  form_password_validation_failed: { status: 422, message: 'Password is incorrect.' },
  form_password_not_set: { status: 422, message: 'This user has no password.' },
  form_password_digest_invalid: {
    status: 422,
    message: 'The password digest is not valid for its hasher.',
  },
  strategy_for_user_invalid: {
    status: 422,
    message: 'The verification strategy is not valid for this account.',
  },
  form_code_incorrect: { status: 422, message: 'Incorrect code' },
  /** #17: `POST /v1/me/totp` when the user already has a verified TOTP secret. */
  totp_already_enabled: {
    status: 422,
    message: 'TOTP is already enabled. Remove it before adding another authenticator.',
  },
  /**
   * #17: the instance requires MFA and this would remove the user's last second factor. Clerk's
   * UI never asks (it hides the removal when `sign_up.mfa.required`); Clerk's code for the
   * refusal is not published, so this one is Latchkey's.
   */
  mfa_required: {
    status: 422,
    message: 'Multi-factor authentication is required: the last second factor cannot be removed.',
  },
  /** #17: backup codes need another second factor first (Clerk's BackupCodesNotAvailable). */
  backup_codes_not_available_code: {
    status: 422,
    message: 'In order to use backup codes, you have to enable any other Multi-factor method',
  },
  /**
   * #17: enrolling a second factor the operator does not allow (Backend API
   * `PATCH /v1/instance/user_settings` `second_factors`). Latchkey's code: Clerk documents none.
   */
  /** #17: a user holds at most MAX_PASSKEYS passkeys (Clerk's limit is 10). */
  passkey_limit_reached: {
    status: 422,
    message: 'You have reached the maximum number of passkeys. Remove one to add another.',
  },
  second_factor_not_enabled: {
    status: 403,
    message: 'This second factor is not enabled on this instance.',
  },
  verification_failed: {
    status: 422,
    message: 'Too many failed attempts. You have to try again with the same or another method.',
  },
  verification_expired: {
    status: 400,
    message: 'This verification has expired. You must create a new one.',
  },
  verification_already_verified: {
    status: 400,
    message: 'This verification has already been verified.',
  },
  verification_missing: {
    status: 400,
    message: 'There is no verification to attempt. Prepare one first.',
  },
  verification_client_mismatch: {
    status: 400,
    message: 'This link was requested in another browser. Open it where you asked for it.',
  },
  /** #18: `transfer: true` with no sign-in waiting to become a sign-up (Clerk's code). */
  external_account_not_found: {
    status: 422,
    message: 'There is no external account to sign up with. Start again with the provider.',
  },
  /**
   * #18: a provider account already linked to a user (Clerk's code): connecting it to another
   * user is refused; on a sign-up's `external_account` verification the app transfers to a
   * sign-in (`transfer: true`).
   */
  external_account_exists: {
    status: 422,
    message: 'This account is already connected to another user. Please use another account.',
  },
  /** #18: a reauthorization came back as another account at the provider. */
  external_account_mismatch: {
    status: 422,
    message: 'The provider signed in a different account than the one being reauthorized.',
  },
  /** #18: disconnecting the user's last way in (Clerk's code for removing the last one). */
  identification_deletion_failed: {
    status: 403,
    message:
      'You cannot disconnect your last way to sign in. Set a password or connect another account first.',
  },
  /** #18: the provider refused or the person cancelled there (Clerk's code). */
  oauth_access_denied: {
    status: 403,
    message: 'The provider did not allow the sign-in.',
  },
  /** #18: the provider's answer did not check out (code, ID token, nonce, issuer, audience). */
  oauth_token_exchange_error: {
    status: 422,
    message: 'The provider’s answer could not be verified. Please try again.',
  },
  /** #18: no active enterprise connection for the identifier's email domain (Clerk's code). */
  saml_connection_active_not_found: {
    status: 422,
    message: 'There is no active enterprise SSO connection for this email address domain.',
  },
  /** #18: a SAML response that does not check out (signature, audience, recipient, time, replay). */
  saml_response_invalid: {
    status: 400,
    message: 'The identity provider’s SAML response could not be verified.',
  },
  /** #18: the IdP asserted an address outside the connection's domains (Clerk's code). */
  saml_email_address_domain_mismatch: {
    status: 403,
    message: 'The email address the identity provider asserted is not in the connection’s domains.',
  },
  /** #18: the IdP's answer lacks the email address (Clerk's code). */
  saml_user_attribute_missing: {
    status: 422,
    message: 'The identity provider did not send the email address attribute.',
  },
  /** #18: an IdP-initiated response for a connection that does not allow it. */
  saml_idp_initiated_not_allowed: {
    status: 403,
    message: 'This connection does not accept sign-ins started at the identity provider.',
  },
  sign_up_not_ready: { status: 400, message: 'The sign-up is not waiting for this step.' },
  sign_in_not_ready: { status: 400, message: 'The sign-in is not waiting for a first factor.' },
  sign_in_expired: { status: 400, message: 'This sign-in has expired. Please start again.' },
  session_exists: { status: 400, message: "You're already signed in." },
  session_not_active: { status: 401, message: 'This session is no longer active.' },
  signed_out: { status: 401, message: 'You are signed out.' },
  user_banned: { status: 403, message: 'This account is banned.' },
  delete_self_not_enabled: {
    status: 403,
    message: 'Deleting your own account is not enabled on this instance.',
  },
  /**
   * #17: a sensitive action on a session whose factors were proved too long ago (Clerk's code,
   * which its `useReverification` turns into the "Verification required" prompt).
   */
  session_reverification_required: {
    status: 403,
    message: 'You need to provide additional verification to perform this operation',
  },
  user_locked: { status: 403, message: 'This account is locked. Please try again later.' },
  /**
   * #20: operator sign-in refused: a wrong identifier or password, a user who is not an operator
   * or is banned. One answer for all, so it tells a guesser nothing about which.
   */
  operator_credentials_invalid: {
    status: 422,
    message: 'Invalid identifier or password, or not an operator.',
  },
  authentication_invalid: { status: 401, message: 'Invalid authentication' },
  authorization_header_format_invalid: {
    status: 401,
    message: 'Invalid authorization header format',
  },
  origin_invalid: { status: 403, message: 'Origin not allowed' },
  form_token_invalid: {
    status: 403,
    message: 'This form has expired. Please try again.',
  },
  resource_not_found: { status: 404, message: 'Not found' },
  // Clerk's codes for who may sign up (restrictions and sign-up modes), as Clerk's UI handles them.
  not_allowed_access: { status: 403, message: 'Access not allowed.' },
  sign_up_mode_restricted: {
    status: 403,
    message: 'Sign-ups are restricted: only invited or allow-listed identifiers may sign up.',
  },
  duplicate_record: { status: 400, message: 'duplicate record' },
  jwt_template_not_found: { status: 404, message: 'No JWT template exists with this name.' },
  jwt_template_name_exists: {
    status: 422,
    message: 'A JWT template with this name already exists.',
  },
  reserved_claim: { status: 422, message: 'This claim is reserved and cannot be set.' },
  signing_key_invalid: {
    status: 422,
    message: 'The signing key does not fit the signing algorithm.',
  },
  token_too_large: { status: 422, message: 'The token would exceed the maximum size.' },
  request_body_invalid: { status: 400, message: 'Request body invalid' },
  request_body_too_large: { status: 413, message: 'Request body too large' },
  unsupported_content_type: { status: 415, message: 'Unsupported content type' },
  too_many_requests: { status: 429, message: 'Too many requests. Please try again in a bit.' },
  internal_error: { status: 500, message: 'Something went wrong' },
} as const satisfies Record<string, { status: ErrorStatus; message: string }>

/** HTTP statuses an API error may carry. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500

/** Every error code Latchkey emits: a closed union. */
export type ErrorCode = keyof typeof ERRORS

/** Extra, machine-readable context on an error entry (Clerk's `meta`). */
export type ErrorMeta = {
  param_name?: string
  retry_after_seconds?: number
  /** With `session_reverification_required`: the level and age the action asks for. */
  session_verification?: { level: string; after_minutes: number }
}

/** One entry of an error response, in TypeScript casing. */
export type ApiErrorEntry = {
  code: ErrorCode
  message: string
  longMessage: string
  meta: ErrorMeta
}

/** One entry of an error response as it travels on the wire (Clerk's `ClerkError`). */
export type ApiErrorJSON = {
  code: string
  message: string
  long_message: string
  meta: ErrorMeta
}

/**
 * The only error the APIs throw. Its status comes from {@link ERRORS}.
 *
 * @example
 * ```ts
 * throw ApiError.of('form_param_missing', { meta: { param_name: 'identifier' } })
 * ```
 */
export class ApiError extends Error {
  readonly status: ErrorStatus
  readonly errors: readonly [ApiErrorEntry, ...ApiErrorEntry[]]

  constructor(errors: readonly [ApiErrorEntry, ...ApiErrorEntry[]], options?: { cause?: unknown }) {
    super(errors[0].longMessage, options)
    this.name = 'ApiError'
    this.errors = errors
    this.status = ERRORS[errors[0].code].status
  }

  /** The first entry's code. */
  get code(): ErrorCode {
    return this.errors[0].code
  }

  /**
   * Builds an error from its registry code.
   *
   * @example
   * ```ts
   * ApiError.of('resource_not_found', { longMessage: 'No user with id user_123.' })
   * ```
   */
  static of(
    code: ErrorCode,
    opts: { longMessage?: string; meta?: ErrorMeta; cause?: unknown } = {},
  ): ApiError {
    return new ApiError([ApiError.entry(code, opts)], { cause: opts.cause })
  }

  /**
   * Builds one entry, to combine several into one error.
   *
   * @example
   * ```ts
   * new ApiError([ApiError.entry('form_param_missing', { meta: { param_name: 'password' } })])
   * ```
   */
  static entry(
    code: ErrorCode,
    opts: { longMessage?: string; meta?: ErrorMeta } = {},
  ): ApiErrorEntry {
    const message = ERRORS[code].message
    const param = opts.meta?.param_name
    // Fragments ("is missing") read after the parameter's name; sentences stand alone.
    const fragment = /^[a-z]/.test(message)
    const longMessage = opts.longMessage ?? (param && fragment ? `${param} ${message}` : message)
    return { code, message, longMessage, meta: opts.meta ?? {} }
  }

  /** The wire form: `{ errors: [{ code, message, long_message, meta }] }`. */
  toJSON(): { errors: ApiErrorJSON[] } {
    return {
      errors: this.errors.map((e) => ({
        code: e.code,
        message: e.message,
        long_message: e.longMessage,
        meta: e.meta,
      })),
    }
  }
}
