import type { ErrorCode } from '@latchkey/contracts/errors'
import { LatchkeyAPIResponseError } from './fapi.js'
import { LatchkeyWebAuthnError, type WebAuthnErrorCode } from './passkey-resource.js'

/**
 * What the prebuilt UI says for every error code the APIs can send. Keyed by the closed
 * `ErrorCode` union, so a code added to the registry without a message here does not compile.
 */
export const ERROR_MESSAGES: Record<ErrorCode, string> = {
  form_param_missing: 'Please fill in this field.',
  form_param_format_invalid: 'This doesn’t look right. Please check it.',
  form_param_unknown: 'Something in the form wasn’t expected. Please reload the page.',
  form_param_value_invalid: 'This value isn’t accepted. Please check it.',
  form_param_nil: 'Please fill in this field.',
  form_identifier_not_found: 'We couldn’t find an account with that email address or username.',
  form_identifier_exists: 'An account with this email address already exists. Sign in instead.',
  form_password_incorrect: 'Password is incorrect. Try again.',
  form_password_pwned:
    'This password has appeared in a data breach. Please choose a different password.',
  form_password_length_too_short: 'Your password must be at least 8 characters long.',
  form_password_length_too_long: 'Your password must be 256 characters or fewer.',
  form_password_validation_failed: 'Your current password is incorrect.',
  form_password_not_set: 'This account has no password. Use another way to sign in.',
  form_password_digest_invalid: 'This password can’t be used. Please choose another.',
  strategy_for_user_invalid: 'This account can’t sign in with a password.',
  form_code_incorrect: 'That code is incorrect. Check the email and try again.',
  totp_already_enabled: 'An authenticator app is already set up. Remove it to add another.',
  backup_codes_not_available_code: 'Set up an authenticator app before creating backup codes.',
  second_factor_not_enabled: 'This kind of two-step verification is not enabled for this app.',
  mfa_required: 'Two-step verification is required here: keep at least one second factor.',
  passkey_limit_reached:
    'You have the most passkeys an account may hold: remove one to add another.',
  verification_failed: 'Too many incorrect codes. Ask for a new code and try again.',
  verification_expired: 'This code has expired. Ask for a new one.',
  verification_already_verified: 'This was already verified. Please continue.',
  verification_missing: 'Ask for a code first.',
  verification_client_mismatch: 'Open the link in the browser where you asked for it.',
  external_account_not_found: 'There is no account to sign up with. Please start again.',
  external_account_exists:
    'That account is already connected to another user. Sign in with it, or use another account.',
  external_account_mismatch:
    'The provider signed in a different account. Use the account you connected before.',
  identification_deletion_failed:
    'This is your last way to sign in. Set a password or connect another account first.',
  saml_connection_active_not_found:
    'Your organization has no single sign-on set up for this address.',
  saml_response_invalid: 'Your organization’s sign-in could not be verified. Try again.',
  saml_email_address_domain_mismatch:
    'Your organization signed in an address outside its domains. Use your work address.',
  saml_user_attribute_missing: 'Your organization did not send the details needed to sign you in.',
  saml_idp_initiated_not_allowed:
    'Start signing in from this app, not from your organization’s portal.',
  oauth_access_denied: 'The provider did not allow the sign-in.',
  oauth_token_exchange_error: 'The provider’s answer could not be verified. Please try again.',
  sign_up_not_ready: 'This sign-up is no longer waiting for this step. Please start again.',
  sign_in_not_ready: 'This sign-in is no longer waiting for a password. Please start again.',
  sign_in_expired: 'This sign-in has expired. Please start again.',
  session_exists: 'You’re already signed in.',
  session_not_active: 'Your session has ended. Please sign in again.',
  signed_out: 'You’re signed out. Please sign in again.',
  user_banned: 'This account has been suspended. Contact support if you think this is a mistake.',
  session_reverification_required: 'Please confirm it’s you again before making this change.',
  operator_credentials_invalid:
    'Wrong email address or password, or this account can’t use the dashboard.',
  user_locked: 'This account is locked after too many failed attempts. Try again later.',
  delete_self_not_enabled: 'Deleting your account is not enabled. Contact support to close it.',
  authentication_invalid: 'Your session has ended. Please sign in again.',
  authorization_header_format_invalid: 'Your session has ended. Please sign in again.',
  origin_invalid: 'This website isn’t allowed to sign in here. Contact the site’s owner.',
  form_token_invalid: 'This form has expired. Please try again.',
  resource_not_found: 'That no longer exists. Please reload the page.',
  not_allowed_access: 'This email address can’t be used to sign up here.',
  sign_up_mode_restricted: 'Sign-ups are by invitation only. Contact the site’s owner for access.',
  duplicate_record: 'This already exists.',
  jwt_template_not_found: 'The app asked for a token type that isn’t set up.',
  jwt_template_name_exists: 'A JWT template with this name already exists.',
  reserved_claim: 'This claim is reserved.',
  signing_key_invalid: 'The signing key does not fit the algorithm.',
  token_too_large: 'The token would be too large.',
  request_body_invalid: 'The request couldn’t be read. Please try again.',
  request_body_too_large: 'What you entered is too long.',
  unsupported_content_type: 'The request couldn’t be read. Please try again.',
  too_many_requests: 'Too many attempts. Please wait a moment and try again.',
  internal_error: 'Something went wrong on our side. Please try again.',
}

/** What the prebuilt UI says when the browser's passkey prompt (not the server) stopped. */
export const WEBAUTHN_MESSAGES: Record<WebAuthnErrorCode, string> = {
  passkey_not_supported: 'This browser can’t use passkeys. Sign in another way.',
  passkey_invalid_rpID_or_domain:
    'Passkeys aren’t set up for this website. Contact the site’s owner.',
  passkey_already_exists: 'This device already has a passkey for your account.',
  passkey_operation_aborted: 'The passkey request was interrupted. Try again.',
  passkey_registration_cancelled: 'No passkey was added: the request was cancelled or timed out.',
  passkey_registration_failed: 'The passkey couldn’t be created. Try again.',
  passkey_retrieval_cancelled:
    'Passkey sign-in was cancelled or timed out, or this device has no passkey for this site.',
  passkey_retrieval_failed: 'The passkey couldn’t be used. Try again or sign in another way.',
}

/** A passkey the server refused (unknown, removed, or not this account's). */
const PASSKEY_REFUSED =
  'This passkey isn’t recognised. It may have been removed from your account: sign in another way.'

/**
 * An error the prebuilt UI raises itself (a step this account cannot take), shown as written,
 * on `field` when given.
 */
export class FlowError extends Error {
  readonly field: string | undefined
  constructor(message: string, field?: string) {
    super(message)
    this.name = 'FlowError'
    this.field = field
  }
}

/** A message for the UI, and the form field it belongs to when the API named one. */
export type DescribedError = { message: string; field: string | undefined }

const FIELD_OF_CODE: Partial<Record<string, string>> = {
  form_identifier_not_found: 'identifier',
  form_identifier_exists: 'email_address',
  form_password_incorrect: 'password',
  form_code_incorrect: 'code',
  form_password_pwned: 'password',
  form_password_length_too_short: 'password',
  form_password_length_too_long: 'password',
  form_password_validation_failed: 'current_password',
}

/**
 * Turns anything a call threw into one human sentence: API errors by code (with the wait for
 * 429s and lockouts), network failures, and unknown errors.
 */
export function describeError(err: unknown): DescribedError {
  if (err instanceof LatchkeyAPIResponseError) {
    const e = err.errors[0]
    const code = e?.code ?? ''
    const field = e?.meta.paramName ?? FIELD_OF_CODE[code]
    if (code === 'too_many_requests' || err.status === 429) {
      const wait = err.retryAfter ?? e?.meta.retryAfterSeconds
      return {
        message: wait
          ? `Too many attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`
          : ERROR_MESSAGES.too_many_requests,
        field: undefined,
      }
    }
    if (code === 'user_locked' && e?.meta.retryAfterSeconds) {
      const minutes = Math.ceil(e.meta.retryAfterSeconds / 60)
      return {
        message: `This account is locked after too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        field: undefined,
      }
    }
    if (code === 'verification_failed' && e?.meta.paramName === 'public_key_credential')
      return { message: PASSKEY_REFUSED, field: undefined }
    const known = ERROR_MESSAGES[code as ErrorCode] as string | undefined
    return { message: known ?? e?.longMessage ?? err.message, field }
  }
  if (err instanceof LatchkeyWebAuthnError)
    return { message: WEBAUTHN_MESSAGES[err.code], field: undefined }
  if (err instanceof FlowError) return { message: err.message, field: err.field }
  if (err instanceof TypeError) {
    return {
      message: 'Can’t reach the sign-in server. Check your connection and try again.',
      field: undefined,
    }
  }
  return { message: 'Something went wrong. Please try again.', field: undefined }
}
