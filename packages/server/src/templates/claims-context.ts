import type { EmailAddressRow, SessionRow, UserRow } from '@latchkey/db'
import { fromDbBool, fromDbJson } from '@latchkey/db'
import { hasImageOf, imageUrlOf } from '../images/image-urls.js'
import type { Json, ShortcodeContext } from './shortcodes.js'

const seconds = (ms: number) => Math.floor(ms / 1000)

/**
 * The data shortcodes read (`{{user.*}}`, `{{session.*}}`, `{{org.*}}`). Timestamps are Unix
 * seconds, as JWT claims are. Organizations do not exist yet, so `{{org.*}}` reads null.
 */
export function claimsContext(
  user: UserRow,
  emails: EmailAddressRow[],
  session: SessionRow,
  baseUrl: string,
): ShortcodeContext {
  const primary = emails.find((e) => e.id === user.primary_email_address_id)
  const fullName = [user.first_name, user.last_name].filter(Boolean).join(' ')
  return {
    user: {
      id: user.id,
      external_id: user.external_id,
      first_name: user.first_name,
      last_name: user.last_name,
      full_name: fullName === '' ? null : fullName,
      username: user.username,
      image_url: imageUrlOf(user, baseUrl),
      has_image: hasImageOf(user),
      primary_email_address: primary?.email_address ?? null,
      primary_email_address_id: user.primary_email_address_id,
      primary_phone_number: null,
      email_verified: primary ? fromDbBool(primary.verified) : false,
      phone_number_verified: false,
      two_factor_enabled: false,
      created_at: seconds(user.created_at),
      updated_at: seconds(user.updated_at),
      last_sign_in_at: user.last_sign_in_at === null ? null : seconds(user.last_sign_in_at),
      public_metadata: fromDbJson(user.public_metadata) as Json,
      unsafe_metadata: fromDbJson(user.unsafe_metadata) as Json,
    },
    session: { id: session.id, status: 'active', actor: null },
    org: {},
  }
}
