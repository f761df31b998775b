import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import type { Services } from '../services.js'
import {
  REVERIFICATION_LEVELS,
  REVERIFICATION_MAX_AGE_LIMIT,
  type ReverificationSettings,
} from './reverification-settings.js'
import type { SecondFactorSettings } from './second-factor-settings.js'
import type { FirstFactorSettings, SignUpSettings } from './sign-up-settings.js'

const flag = z.boolean().optional()
const UpdateUserSettings = z.strictObject({
  sign_up: z
    .strictObject({
      // Clerk's third mode, `waitlist`, is not built: refused rather than half-applied.
      mode: z.enum(['public', 'restricted']).optional(),
      verify_email_at_sign_up: flag,
    })
    .optional(),
  first_factors: z
    .strictObject({
      password: flag,
      email_code: flag,
      email_link: flag,
      reset_password_email_code: flag,
      passkey: flag,
    })
    .optional(),
  second_factors: z.strictObject({ totp: flag, backup_code: flag, email_code: flag }).optional(),
  reverification: z
    .strictObject({
      enabled: flag,
      max_age_minutes: z.number().int().min(1).max(REVERIFICATION_MAX_AGE_LIMIT).optional(),
      level: z.enum(REVERIFICATION_LEVELS).optional(),
    })
    .optional(),
  // Every user must enrol a second factor (mfa-settings.ts).
  mfa_required: flag,
})

type UserSettings = {
  sign_up: SignUpSettings
  first_factors: FirstFactorSettings
  second_factors: SecondFactorSettings
  reverification: ReverificationSettings
  mfa_required: boolean
}

function userSettingsJSON(s: UserSettings) {
  return {
    object: 'instance_user_settings' as const,
    sign_up: { ...s.sign_up },
    first_factors: { ...s.first_factors },
    second_factors: { ...s.second_factors },
    reverification: { ...s.reverification },
    mfa_required: s.mfa_required,
  }
}

/** Each flag the body names replaces the stored one; the others stay. */
function merged<T extends { [key: string]: boolean }>(stored: T, patch: Partial<T> | undefined): T {
  const out = { ...stored }
  for (const key of Object.keys(out) as (keyof T)[]) {
    const v = patch?.[key]
    if (v !== undefined) out[key] = v
  }
  return out
}

/** The keys given (zod leaves absent optional keys out, but says `undefined` in the type). */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(o ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>
}

async function current(services: Services) {
  return userSettingsJSON(await services.instance.settings())
}

/**
 * At least one way in must stay: without a first factor nobody could sign in again. And a
 * sign-up that must prove its address needs a code or a link to prove it with.
 */
function assertSomeFirstFactor(f: FirstFactorSettings, s: SignUpSettings): void {
  if (!f.password && !f.email_code && !f.email_link) {
    throw ApiError.of('form_param_value_invalid', {
      longMessage: 'At least one of password, email_code and email_link must stay enabled.',
      meta: { param_name: 'first_factors' },
    })
  }
  if (s.verify_email_at_sign_up && !f.email_code && !f.email_link) {
    throw ApiError.of('form_param_value_invalid', {
      longMessage: 'verify_email_at_sign_up needs email_code or email_link enabled.',
      meta: { param_name: 'first_factors' },
    })
  }
}

/**
 * Backup codes back up an authenticator app (Clerk: "one of the other strategies must be
 * enabled"); a user gets them when their TOTP is verified, so without TOTP nobody new could.
 */
function assertBackupCodesBackSomething(f: SecondFactorSettings): void {
  if (f.backup_code && !f.totp) {
    throw ApiError.of('form_param_value_invalid', {
      longMessage: 'backup_code needs totp enabled: turn both off together.',
      meta: { param_name: 'second_factors' },
    })
  }
}

/**
 * Latchkey addition: what Clerk keeps in its dashboard under "User & authentication" — the
 * sign-up mode, whether an email address must be verified at sign-up, which first factors
 * sign-in offers, which second factors users may enrol and sign in with, whether every user
 * must enrol one, and step-up before sensitive actions (`reverification`). A field left out
 * keeps its value; a refused request writes nothing.
 */
export function userSettingsRoutes(r: Router): void {
  r.bapi({
    method: 'GET',
    path: '/v1/instance/user_settings',
    handler: ({ services }) => current(services),
  })
  r.bapi({
    method: 'PATCH',
    path: '/v1/instance/user_settings',
    body: UpdateUserSettings,
    handler: async ({ body, services }) => {
      const settings = await services.instance.settings()
      const sign_up: SignUpSettings = { ...settings.sign_up }
      if (body.sign_up?.mode) sign_up.mode = body.sign_up.mode
      if (body.sign_up?.verify_email_at_sign_up !== undefined)
        sign_up.verify_email_at_sign_up = body.sign_up.verify_email_at_sign_up
      const first_factors = merged(settings.first_factors, body.first_factors)
      const second_factors = merged(settings.second_factors, body.second_factors)
      assertSomeFirstFactor(first_factors, sign_up)
      assertBackupCodesBackSomething(second_factors)
      const reverification = { ...settings.reverification, ...definedOnly(body.reverification) }
      const mfa_required = body.mfa_required ?? settings.mfa_required
      if (mfa_required && !second_factors.totp) {
        // Required, users must be able to enrol one: TOTP is the factor they enrol first.
        throw ApiError.of('form_param_value_invalid', {
          longMessage: 'mfa_required needs second_factors.totp enabled.',
          meta: { param_name: 'mfa_required' },
        })
      }
      const next = { sign_up, first_factors, second_factors, reverification, mfa_required }
      await services.instance.updateSettings(next)
      return userSettingsJSON(next)
    },
  })
}
