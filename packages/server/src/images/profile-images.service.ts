import { ApiError, randomBase62 } from '@latchkey/contracts'
import type { ProfileImageRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { sniffImageType } from './image-type.js'
import { imagePath } from './image-urls.js'
import * as repo from './profile-images.repository.js'

/** Clerk's avatar uploader accepts files up to 10 MB (10,000,000 bytes); so does Latchkey. */
export const MAX_PROFILE_IMAGE_BYTES = 10_000_000

/** An uploaded image in Clerk's shape (fapi spec `Image`). */
export type ImageJSON = { object: 'image'; id: string; name: string; public_url: string }

/** Users' profile images: checked by their bytes, stored in the database, served by id. */
export class ProfileImagesService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * Stores `bytes` as the user's image, replacing any previous one. Refused (422, nothing
   * written) when empty, over {@link MAX_PROFILE_IMAGE_BYTES}, or not a PNG, JPEG, GIF or WebP
   * by its content, whatever type the upload claimed.
   */
  async upload(userId: string, bytes: Uint8Array, name?: string): Promise<ImageJSON> {
    if (bytes.length === 0)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'file' } })
    if (bytes.length > MAX_PROFILE_IMAGE_BYTES) {
      throw ApiError.of('form_param_format_invalid', {
        longMessage: `The image is ${bytes.length} bytes; at most ${MAX_PROFILE_IMAGE_BYTES} are accepted.`,
        meta: { param_name: 'file' },
      })
    }
    const type = sniffImageType(bytes)
    if (!type) {
      throw ApiError.of('form_param_format_invalid', {
        longMessage: 'The file is not a PNG, JPEG, GIF or WebP image.',
        meta: { param_name: 'file' },
      })
    }
    const now = this.d.clock.now()
    const row: ProfileImageRow = {
      id: `img_${randomBase62(27)}`,
      user_id: userId,
      content_type: type,
      byte_size: bytes.length,
      data: bytes,
      created_at: now,
    }
    await this.d.db.transaction().execute(async (trx) => {
      await repo.replaceImage(trx, row, now)
      await this.d.services.users.emitUpdatedIn(trx, row.user_id)
    })
    return this.toJSON(row.id, name)
  }

  /** Removes the user's image (they get the default avatar again); 404 when there was none. */
  async remove(userId: string): Promise<void> {
    const removed = await this.d.db.transaction().execute(async (trx) => {
      const done = await repo.removeImage(trx, userId, this.d.clock.now())
      if (done) await this.d.services.users.emitUpdatedIn(trx, userId)
      return done
    })
    if (!removed) {
      throw ApiError.of('resource_not_found', { longMessage: 'This user has no profile image.' })
    }
  }

  find(id: string): Promise<ProfileImageRow | undefined> {
    return repo.findImage(this.d.db, id)
  }

  toJSON(id: string, name?: string): ImageJSON {
    return {
      object: 'image',
      id,
      name: name ?? id,
      public_url: `${this.d.config.url}${imagePath(id)}`,
    }
  }
}
