/**
 * "Require multi-factor authentication" (Clerk's dashboard setting; the environment says
 * `user_settings.sign_in.second_factor.required`). When on, a user who signs in or signs up without a
 * second factor gets a `pending` session with Clerk's `setup-mfa` task, active once they enrol
 * one; and a user may not remove their last second factor (the Backend API still may).
 * Off by default, as in a new Clerk instance.
 */
export const MFA_REQUIRED_DEFAULT = false

/** Reads the stored flag: anything but `true` keeps the default. */
export const readMfaRequired = (raw: unknown): boolean => raw === true
