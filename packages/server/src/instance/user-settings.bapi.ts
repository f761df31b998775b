import { ApiError } from '@latchkey/contracts'
import * as z from 'zod'
import type { Router } from '../http/define-route.js'
import type { Services } from '../services.js'
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
    })
    .optional(),
  // Every user must enrol a second factor (mfa-settings.ts).
  mfa_required: flag,
})

type UserSettingsView = {
  sign_up: SignUpSettings
  first_factors: FirstFactorSettings
  mfa_required: boolean
}

function userSettingsJSON(s: UserSettingsView) {
  return {
    object: 'instance_user_settings' as const,
    sign_up: { ...s.sign_up },
    first_factors: { ...s.first_factors },
    mfa_required: s.mfa_required,
  }
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
 * Latchkey addition: what Clerk keeps in its dashboard under "User & authentication" — the
 * sign-up mode, whether an email address must be verified at sign-up, which first factors
 * sign-in offers, and whether every user must enrol a second factor. A field left out keeps its
 * value; a refused request writes nothing.
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
      const first_factors: FirstFactorSettings = { ...settings.first_factors }
      for (const key of Object.keys(first_factors) as (keyof FirstFactorSettings)[]) {
        const v = body.first_factors?.[key]
        if (v !== undefined) first_factors[key] = v
      }
      assertSomeFirstFactor(first_factors, sign_up)
      const mfa_required = body.mfa_required ?? settings.mfa_required
      await services.instance.updateSettings({ sign_up, first_factors, mfa_required })
      return userSettingsJSON({ sign_up, first_factors, mfa_required })
    },
  })
}
