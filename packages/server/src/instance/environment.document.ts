import { PASSWORD_MAX, PASSWORD_MIN } from '../lib/password-policy.js'
import { RESTRICTIONS_ON_SIGN_IN } from '../sign-up-policy/sign-up-policy.service.js'
import type { InstancePaths } from './instance.service.js'
import type { SecondFactorSettings } from './second-factor-settings.js'
import type {
  FirstFactorSettings,
  RestrictionSettings,
  SignUpSettings,
} from './sign-up-settings.js'

/**
 * What `GET /v1/environment` is built from: the instance and the few settings that change it.
 */
export type EnvironmentInput = {
  instanceId: string
  paths: { [K in keyof InstancePaths]: string }
  applicationName: string
  deleteSelfEnabled: boolean
  lockout: { maxAttempts: number; durationMinutes: number }
  signUp: SignUpSettings
  firstFactors: FirstFactorSettings
  restrictions: RestrictionSettings
  secondFactors: SecondFactorSettings
  /** Whether sensitive account actions ask for a recent verification (Clerk's UI then asks). */
  reverification: boolean
  /** "Require multi-factor authentication" (instance/mfa-settings.ts). */
  mfaRequired: boolean
  /** The enabled social connections (issue #18), as `user_settings.social`. */
  social?: Record<string, unknown>
  /**
   * Whether an enterprise connection is active (issue #18 item 4): clerk-js's SignIn then
   * leaves the password out of the identifier step and follows `enterprise_sso` to the IdP.
   */
  enterpriseSso?: boolean
}

type Attribute = {
  enabled: boolean
  required: boolean
  usedForFirstFactor?: boolean
  firstFactors?: string[]
  verifications?: string[]
  verifyAtSignUp?: boolean
  secondFactors?: string[]
}

/** One of Clerk's user attributes (fapi spec `Client.UserSettings.attributes.*`). */
const attribute = (a: Attribute) => ({
  enabled: a.enabled,
  required: a.required,
  used_for_first_factor: a.usedForFirstFactor ?? false,
  first_factors: a.firstFactors ?? [],
  used_for_second_factor: (a.secondFactors ?? []).length > 0,
  second_factors: a.secondFactors ?? [],
  verifications: a.verifications ?? [],
  verify_at_sign_up: a.verifyAtSignUp ?? false,
  immutable: false,
})
const OFF = attribute({ enabled: false, required: false })
const onOff = (a: { enabled: boolean; required: boolean }) =>
  a.required ? 'required' : a.enabled ? 'on' : 'off'

/**
 * The ways to prove an address: the email factors the settings turn on, as the engine accepts
 * them (sign-ups/sign-up-verification.ts). Clerk's UI sends a link whenever this lists
 * `email_link` (its SignUp, UserProfile), so listing a strategy the server would refuse, or one
 * the operator turned off, would stall those flows.
 */
const emailVerifications = (f: FirstFactorSettings): string[] =>
  (['email_code', 'email_link'] as const).filter((k) => f[k])

/**
 * Sign-in strategies as the instance's settings turn them on, in Clerk's names. The reset flow
 * (`reset_password_email_code`) sits beside them in `auth_config.first_factors`, as in Clerk,
 * and only where there is a password to reset.
 */
function firstFactorStrategies(f: FirstFactorSettings) {
  const email = (['email_code', 'email_link'] as const).filter((k) => f[k])
  const all = [
    ...(f.password ? ['password'] : []),
    ...email,
    ...(f.password && f.reset_password_email_code ? ['reset_password_email_code'] : []),
    ...(f.passkey ? ['passkey'] : []),
  ]
  return { email: [...email] as string[], all }
}

/**
 * The second factors the settings allow, in the order sign-in lists them. Clerk's UserProfile
 * shows "Two-step verification" when any attribute is `used_for_second_factor` and offers to
 * add each `second_factors` strategy it knows (`totp`, `backup_code`); its SignIn shows the
 * factors each sign-in lists in `supported_second_factors`.
 */
export function secondFactorStrategies(s: SecondFactorSettings): string[] {
  return (['totp', 'backup_code', 'email_code'] as const).filter((k) => s[k])
}

/** An attribute that is one second factor (Clerk's `authenticator_app`, `backup_code`). */
const secondFactorAttribute = (on: boolean, strategy: string) =>
  on ? attribute({ enabled: true, required: false, secondFactors: [strategy] }) : OFF

/** Clerk's `user_settings.attributes`, from the sign-up and factor settings. */
function attributesOf(i: EnvironmentInput) {
  const f = i.firstFactors
  const s = i.secondFactors
  const emailFactors = firstFactorStrategies(f).email
  return {
    email_address: attribute({
      enabled: true,
      required: true,
      usedForFirstFactor: true,
      firstFactors: emailFactors,
      verifications: emailVerifications(f),
      verifyAtSignUp: i.signUp.verify_email_at_sign_up,
      secondFactors: s.email_code ? ['email_code'] : [],
    }),
    phone_number: OFF,
    // A username names the account; the password is then the factor (its email factors too).
    username: attribute({ enabled: true, required: false, usedForFirstFactor: true }),
    web3_wallet: OFF,
    first_name: attribute({ enabled: true, required: false }),
    last_name: attribute({ enabled: true, required: false }),
    password: attribute({ enabled: f.password, required: f.password }),
    authenticator_app: secondFactorAttribute(s.totp, 'totp'),
    ticket: OFF,
    backup_code: secondFactorAttribute(s.backup_code, 'backup_code'),
    passkey: attribute({
      enabled: f.passkey,
      required: false,
      usedForFirstFactor: f.passkey,
      firstFactors: f.passkey ? ['passkey'] : [],
    }),
  }
}

const enabled = (on: boolean) => ({ enabled: on })

/**
 * Clerk's environment document (fapi spec `Client.Environment`, every required field), telling
 * the truth about this instance: email address sign-up (verified by a code or a link when the
 * settings ask), sign-in by email address or username with the first factors the settings turn
 * on, the sign-up mode and restrictions, the second factors the settings allow; optional names
 * and username; no phone numbers, web3, passkeys, social or enterprise connections, organizations, billing, API keys, captcha
 * or waitlist. Clerk's UI shows what this document enables and nothing else.
 */
export function environmentDocument(i: EnvironmentInput) {
  const attributes = attributesOf(i)
  const strategies = firstFactorStrategies(i.firstFactors)
  const r = i.restrictions
  const p = i.paths
  return {
    auth_config: {
      object: 'auth_config',
      id: i.instanceId,
      first_name: onOff(attributes.first_name),
      last_name: onOff(attributes.last_name),
      email_address: onOff(attributes.email_address),
      phone_number: onOff(attributes.phone_number),
      username: onOff(attributes.username),
      password: onOff(attributes.password),
      identification_requirements: [['email_address']],
      identification_strategies: ['email_address', 'username'],
      first_factors: strategies.all,
      second_factors: secondFactorStrategies(i.secondFactors),
      email_address_verification_strategies: emailVerifications(i.firstFactors),
      single_session_mode: false,
      enhanced_email_deliverability: false,
      test_mode: false,
      cookieless_dev: false,
      url_based_session_syncing: false,
      claimed_at: null,
      // On, Clerk's UI drops "current password" from its password form: the step-up proves it.
      reverification: i.reverification,
      // Native clients may send their client token in `Authorization` (no cookie needed).
      native_settings: {
        object: 'native_settings',
        api_enabled: true,
        trusted_device_sign_in_enabled: false,
        trusted_device_enrollment_prompt_after_sign_in_enabled: false,
        trusted_device_enrollment_prompt_after_sign_up_enabled: false,
      },
    },
    display_config: {
      object: 'display_config',
      id: i.instanceId,
      instance_environment_type: 'production',
      application_name: i.applicationName,
      theme: {},
      preferred_sign_in_strategy: i.firstFactors.password ? 'password' : 'otp',
      logo_image_url: null,
      favicon_image_url: null,
      home_url: p.home_url,
      sign_in_url: p.sign_in_url,
      sign_up_url: p.sign_up_url,
      user_profile_url: p.user_profile_url,
      // Features Latchkey does not have (waitlist, organizations) have no page: empty.
      waitlist_url: '',
      oauth_consent_url: '',
      after_sign_in_url: p.after_sign_in_url,
      after_sign_up_url: p.after_sign_up_url,
      after_sign_out_one_url: p.after_sign_out_url,
      after_sign_out_all_url: p.after_sign_out_url,
      after_switch_session_url: p.after_sign_in_url,
      after_join_waitlist_url: '',
      organization_profile_url: '',
      create_organization_url: '',
      after_leave_organization_url: '',
      after_create_organization_url: '',
      logo_link_url: p.home_url,
      support_email: null,
      branded: false,
      experimental_force_oauth_first: false,
      clerk_js_version: null,
      show_devmode_warning: false,
      google_one_tap_client_id: null,
      help_url: null,
      privacy_policy_url: null,
      terms_url: null,
      logo_url: null,
      favicon_url: null,
      logo_image: null,
      favicon_image: null,
      captcha_public_key: null,
      captcha_widget_type: null,
      captcha_public_key_invisible: null,
      captcha_provider: null,
      captcha_oauth_bypass: [] as string[],
      captcha_heartbeat: false,
    },
    user_settings: {
      attributes,
      social: i.social ?? {},
      saml: { enabled: false },
      enterprise_sso: { enabled: i.enterpriseSso ?? false },
      // "Require multi-factor authentication", in the spec's field. (clerk-js also reads a newer
      // `sign_up.mfa.required` to hide the removal of a last factor; the published spec forbids
      // it, so it is left out and the server refuses that removal itself: `mfa_required`.)
      sign_in: { second_factor: { required: i.mfaRequired } },
      sign_up: {
        captcha_enabled: false,
        captcha_widget_type: 'smart',
        custom_action_required: false,
        progressive: true,
        mode: i.signUp.mode,
        legal_consent_enabled: false,
      },
      restrictions: {
        allowlist: enabled(r.allowlist),
        blocklist: enabled(r.blocklist),
        allowlist_blocklist_disabled_on_sign_in: enabled(!RESTRICTIONS_ON_SIGN_IN),
        block_email_subaddresses: enabled(r.block_email_subaddresses),
        block_disposable_email_domains: enabled(false),
      },
      password_settings: {
        // Latchkey refuses the most common breached passwords (a list it ships) at sign-up and
        // password change, and answers `form_password_pwned` as Clerk does.
        disable_hibp: false,
        disable_password_reverification: false,
        min_length: PASSWORD_MIN,
        max_length: PASSWORD_MAX,
        require_special_char: false,
        require_numbers: false,
        require_uppercase: false,
        require_lowercase: false,
        show_zxcvbn: false,
        min_zxcvbn_strength: 0,
        enforce_hibp_on_sign_in: false,
        allowed_special_characters: '',
      },
      username_settings: {
        min_length: 1,
        max_length: 64,
        allow_extended_special_characters: false,
        allow_numeric_usernames: true,
      },
      actions: {
        delete_self: i.deleteSelfEnabled,
        create_organization: false,
        create_organizations_limit: null,
      },
      attack_protection: {
        user_lockout: {
          enabled: true,
          max_attempts: i.lockout.maxAttempts,
          duration_in_minutes: i.lockout.durationMinutes,
        },
        pii: { enabled: false },
        email_link: { require_same_client: false },
        // An unknown identifier is answered `form_identifier_not_found`: no protection.
        enumeration_protection: { enabled: false },
      },
      // Conditional UI (autofill) starts a passkey sign-in on every page load: left off.
      passkey_settings: {
        allow_autofill: false,
        show_sign_in_button: i.firstFactors.passkey,
        satisfies_second_factor: true,
      },
    },
    organization_settings: {
      enabled: false,
      max_allowed_memberships: 0,
      actions: { admin_delete: false },
      domains: { enabled: false, enrollment_modes: [] as string[], default_role: '' },
      creator_role: '',
    },
    fraud_settings: { object: 'fraud_settings', native: { device_attestation_mode: 'disabled' } },
    commerce_settings: {
      billing: {
        stripe_publishable_key: null,
        free_trial_requires_payment_method: false,
        user: { enabled: false, has_paid_plans: false },
        organization: { enabled: false, has_paid_plans: false },
      },
    },
    api_keys_settings: {
      enabled: false,
      user_api_keys_enabled: false,
      orgs_api_keys_enabled: false,
    },
    protect_config: { loaders: [] as unknown[] },
    client_debug_mode: false,
    partitioned_cookies: false,
    maintenance_mode: false,
  }
}
