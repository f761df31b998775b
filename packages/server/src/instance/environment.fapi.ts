import type { Router } from '../http/define-route.js'
import { PASSWORD_MAX, PASSWORD_MIN } from '../lib/password-policy.js'
import type { InstancePaths } from './instance.service.js'

const attribute = (on: boolean, required: boolean, firstFactors: string[] = []) => ({
  enabled: on,
  required,
  used_for_first_factor: firstFactors.length > 0,
  first_factors: firstFactors,
  used_for_second_factor: false,
  second_factors: [] as string[],
  verifications: [] as string[],
  verify_at_sign_up: false,
})

/** Clerk's environment document, describing what this instance offers to the browser SDKs. */
export function environment(
  instanceId: string,
  paths: { [K in keyof InstancePaths]: string },
  applicationName: string,
) {
  return {
    object: 'environment',
    id: instanceId,
    auth_config: {
      object: 'auth_config',
      id: instanceId,
      single_session_mode: false,
      claimed_at: null,
      reverification: false,
    },
    display_config: {
      object: 'display_config',
      id: instanceId,
      instance_environment_type: 'production',
      application_name: applicationName,
      preferred_sign_in_strategy: 'password',
      home_url: paths.home_url,
      sign_in_url: paths.sign_in_url,
      sign_up_url: paths.sign_up_url,
      user_profile_url: paths.user_profile_url,
      after_sign_in_url: paths.after_sign_in_url,
      after_sign_up_url: paths.after_sign_up_url,
      after_sign_out_one_url: paths.after_sign_out_url,
      after_sign_out_all_url: paths.after_sign_out_url,
      logo_image_url: null,
      favicon_image_url: null,
      branded: false,
      theme: {},
    },
    user_settings: {
      attributes: {
        email_address: attribute(true, true, ['password']),
        username: attribute(true, false, ['password']),
        password: attribute(true, true),
        first_name: attribute(true, false),
        last_name: attribute(true, false),
        phone_number: attribute(false, false),
      },
      sign_in: { second_factor: { required: false } },
      sign_up: { progressive: true, mode: 'public', legal_consent_enabled: false },
      password_settings: {
        disable_hibp: false,
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
      social: {},
      enterprise_sso: { enabled: false },
      passkey_settings: { allow_autofill: false, show_sign_in_button: false },
    },
    organization_settings: {
      enabled: false,
      max_allowed_memberships: 0,
      domains: { enabled: false },
    },
    maintenance_mode: false,
    client_debug_mode: false,
  }
}

export function environmentRoutes(r: Router): void {
  r.fapi({
    method: 'GET',
    path: '/v1/environment',
    // The instance's public configuration, the same for every caller.
    cacheable: true,
    handler: async ({ services }) => ({
      response: environment(
        services.instance.id,
        await services.instance.paths(),
        (await services.instance.settings()).application_name,
      ),
      bare: true,
    }),
  })
}
