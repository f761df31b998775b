import type { Database, ProfileImageRow } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'

type Q = Kysely<Database> | Transaction<Database>

export function findImage(db: Q, id: string): Promise<ProfileImageRow | undefined> {
  return db.selectFrom('profile_images').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Stores the user's new image and points the user at it; their previous one is deleted. */
export async function replaceImage(trx: Transaction<Database>, row: ProfileImageRow, now: number) {
  await trx.insertInto('profile_images').values(row).execute()
  await trx
    .updateTable('users')
    .set({ profile_image_id: row.id, updated_at: now })
    .where('id', '=', row.user_id)
    .execute()
  await trx
    .deleteFrom('profile_images')
    .where('user_id', '=', row.user_id)
    .where('id', '<>', row.id)
    .execute()
}

/** Removes the user's image; false when they had none. */
export async function removeImage(trx: Transaction<Database>, userId: string, now: number) {
  const deleted = await trx
    .deleteFrom('profile_images')
    .where('user_id', '=', userId)
    .executeTakeFirst()
  await trx
    .updateTable('users')
    .set({ profile_image_id: null, updated_at: now })
    .where('id', '=', userId)
    .execute()
  return Number(deleted.numDeletedRows) > 0
}
