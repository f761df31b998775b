import { isObject } from '../lib/json.js'

/**
 * Who may sign up and what they must prove (Clerk keeps these in its dashboard under "User &
 * authentication"; Latchkey stores them in the instance's settings, changed through the Backend API).
 */
export type SignUpSettings = {
  /** `public`: anyone; `restricted`: only allow-listed identifiers (and, later, invitations). */
  mode: 'public' | 'restricted'
  /** Whether a sign-up must prove its email address before the user exists (on by default). */
  verify_email_at_sign_up: boolean
}

/**
 * Which first factors sign-in offers, and which strategies prove an address. As in a new Clerk
 * instance, codes are on and links off: a link completes only in the browser that asked, which
 * behind a `proxyUrl` on another host never carries Latchkey's cookie (docs/verification.md).
 */
export type FirstFactorSettings = {
  password: boolean
  email_code: boolean
  email_link: boolean
  reset_password_email_code: boolean
  /** WebAuthn passkeys: signing in with one, and adding one in the profile (on by default). */
  passkey: boolean
}

/** Clerk's `restrictions` (`PATCH /v1/instance/restrictions`). */
export type RestrictionSettings = {
  allowlist: boolean
  blocklist: boolean
  block_email_subaddresses: boolean
}

export const SIGN_UP_DEFAULTS: SignUpSettings = { mode: 'public', verify_email_at_sign_up: true }
export const FIRST_FACTOR_DEFAULTS: FirstFactorSettings = {
  password: true,
  email_code: true,
  email_link: false,
  reset_password_email_code: true,
  passkey: true,
}
export const RESTRICTION_DEFAULTS: RestrictionSettings = {
  allowlist: false,
  blocklist: false,
  block_email_subaddresses: false,
}

/** Reads booleans over their defaults: a missing or mistyped key keeps the default. */
export function readFlags<T extends { [key: string]: boolean }>(raw: unknown, defaults: T): T {
  const o = isObject(raw) ? raw : {}
  const out = { ...defaults }
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    if (typeof o[key] === 'boolean') out[key] = o[key] as T[typeof key]
  }
  return out
}

export function readSignUpSettings(raw: unknown): SignUpSettings {
  const o = isObject(raw) ? raw : {}
  return {
    mode: o.mode === 'restricted' ? 'restricted' : 'public',
    verify_email_at_sign_up: o.verify_email_at_sign_up !== false,
  }
}

export const readFirstFactorSettings = (raw: unknown): FirstFactorSettings =>
  readFlags(raw, FIRST_FACTOR_DEFAULTS)

export const readRestrictionSettings = (raw: unknown): RestrictionSettings =>
  readFlags(raw, RESTRICTION_DEFAULTS)
