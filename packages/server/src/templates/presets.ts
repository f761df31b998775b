import type { Json } from './shortcodes.js'

/** Ready-made templates, with Clerk's exact claims. */
export const PRESETS = {
  convex: {
    name: 'convex',
    claims: {
      aud: 'convex',
      name: '{{user.full_name}}',
      email: '{{user.primary_email_address}}',
      picture: '{{user.image_url}}',
      nickname: '{{user.username}}',
      given_name: '{{user.first_name}}',
      updated_at: '{{user.updated_at}}',
      family_name: '{{user.last_name}}',
      phone_number: '{{user.primary_phone_number}}',
      email_verified: '{{user.email_verified}}',
      phone_number_verified: '{{user.phone_number_verified}}',
    },
  },
} as const satisfies Record<string, { name: string; claims: { [key: string]: Json } }>

export type PresetName = keyof typeof PRESETS
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[]
