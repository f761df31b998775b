import type { UserRow } from '@latchkey/db'

/**
 * Where a user's image is served. Users without one get Latchkey's default avatar, never an
 * empty URL (Clerk's UI shows a broken image for ""); its path names `avatar_placeholder`,
 * which is how Clerk's UI recognises a default image (it then offers no "Remove").
 */
export const DEFAULT_AVATAR_PATH = '/images/avatar_placeholder.svg'

/** The path of an uploaded image; its id changes with every upload, so it never goes stale. */
export const imagePath = (imageId: string) => `/images/${imageId}`

type Imaged = Pick<UserRow, 'profile_image_id' | 'image_url'>

/** The user's `image_url`: the uploaded image, else one set by the operator, else the default. */
export function imageUrlOf(u: Imaged, baseUrl: string): string {
  if (u.profile_image_id) return `${baseUrl}${imagePath(u.profile_image_id)}`
  return u.image_url ?? `${baseUrl}${DEFAULT_AVATAR_PATH}`
}

/** `has_image`: whether the user has an image of their own (not the default). */
export const hasImageOf = (u: Imaged): boolean =>
  u.profile_image_id !== null || u.image_url !== null
