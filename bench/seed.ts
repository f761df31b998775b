import { createDb } from '@latchkey/db'

/**
 * Seeds users (with one verified email each) straight into the database in multi-row batches:
 * the scale benchmark needs a million rows quickly, not a million API calls.
 */
export async function seedUsers(url: string, from: number, to: number): Promise<void> {
  const { db, close } = await createDb({ url })
  const BATCH = 1000
  const now = Date.now()
  try {
    for (let start = from; start < to; start += BATCH * 10) {
      await db.transaction().execute(async (trx) => {
        for (let b = start; b < Math.min(start + BATCH * 10, to); b += BATCH) {
          const users = []
          const emails = []
          for (let i = b; i < Math.min(b + BATCH, to); i++) {
            const id = `user_seed${String(i).padStart(8, '0')}`
            const emailId = `idn_seed${String(i).padStart(8, '0')}`
            users.push({
              id,
              external_id: null,
              username: null,
              first_name: `First${i}`,
              last_name: `Last${i}`,
              image_url: null,
              password_digest: null,
              password_hasher: null,
              password_updated_at: null,
              public_metadata: '{}',
              private_metadata: '{}',
              unsafe_metadata: '{}',
              banned: 0,
              locked: 0,
              lockout_until: null,
              primary_email_address_id: emailId,
              last_sign_in_at: null,
              last_active_at: null,
              created_at: now + i,
              updated_at: now + i,
            })
            emails.push({
              id: emailId,
              user_id: id,
              email_address: `seed${i}@example.com`,
              verified: 1,
              created_at: now,
              updated_at: now,
            })
          }
          await trx.insertInto('users').values(users).execute()
          await trx.insertInto('email_addresses').values(emails).execute()
        }
      })
    }
  } finally {
    await close()
  }
}

export const seededUserId = (i: number) => `user_seed${String(i).padStart(8, '0')}`
export const seededEmail = (i: number) => `seed${i}@example.com`
