import { createHash } from 'node:crypto'
import { type ClientRow, createDb, type SessionRow } from '@latchkey/db'
import { sql } from 'kysely'

/**
 * Seeds users (with one verified email each) straight into the database in multi-row batches:
 * the scale benchmark needs a million rows quickly, not a million API calls. Then does what an
 * operator does after a bulk load: refresh the planner's statistics and, on PostgreSQL, vacuum
 * and checkpoint, so the lookups measured next do not share the disk with autovacuum and the
 * checkpoint the load set off.
 */
export async function seedUsers(url: string, from: number, to: number): Promise<void> {
  const { db, dialect, close } = await createDb({ url })
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
    if (dialect === 'postgres') {
      await sql`vacuum analyze users, email_addresses`.execute(db)
      await sql`checkpoint`.execute(db)
    } else {
      await sql`analyze`.execute(db)
    }
  } finally {
    await close()
  }
}

export const seededUserId = (i: number) => `user_seed${String(i).padStart(8, '0')}`
export const seededEmail = (i: number) => `seed${i}@example.com`

/**
 * Seeds `count` browsers (clients), each with one active session of `userId`, in batches. Each
 * client's token is {@link seededClientToken}: the realistic mint load rotates through them, so
 * every call reads a different session, as traffic from many users does.
 */
export async function seedSessions(url: string, userId: string, count: number): Promise<void> {
  const { db, close } = await createDb({ url })
  const now = Date.now()
  const week = 7 * 24 * 3600 * 1000
  try {
    for (let start = 0; start < count; start += 1000) {
      const clients: ClientRow[] = []
      const sessions: SessionRow[] = []
      for (let i = start; i < Math.min(start + 1000, count); i++) {
        clients.push({
          id: seededClientId(i),
          token_hash: createHash('sha256').update(seededClientToken(i)).digest('base64url'),
          last_active_session_id: seededSessionId(i),
          sign_in_id: null,
          sign_up_id: null,
          created_at: now,
          updated_at: now,
        })
        sessions.push({
          id: seededSessionId(i),
          client_id: seededClientId(i),
          user_id: userId,
          status: 'active',
          // Last seen 90 s ago: each session's next mint records activity, as the mint of a
          // tab that refreshes its token once a minute does.
          last_active_at: now - 90_000,
          expire_at: now + week,
          abandon_at: now + week,
          created_at: now,
          updated_at: now,
          user_agent: null,
          ip_address: null,
          second_factor_at: null,
          first_factor_at: null,
          tasks: null,
        })
      }
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('clients').values(clients).execute()
        await trx.insertInto('sessions').values(sessions).execute()
      })
    }
  } finally {
    await close()
  }
}

const pad = (i: number) => String(i).padStart(8, '0')
export const seededClientId = (i: number) => `client_seed${pad(i)}`
export const seededSessionId = (i: number) => `sess_seed${pad(i)}`
export const seededClientToken = (i: number) => `bench_client_token_${pad(i)}`
