import type { Database, HandshakeNonceRow } from '@latchkey/db'
import type { Kysely } from 'kysely'

/** Stores a nonce's row, dropping rows that have expired (they can never be redeemed). */
export async function insertNonce(
  db: Kysely<Database>,
  row: HandshakeNonceRow,
  now: number,
): Promise<void> {
  await db.deleteFrom('handshake_nonces').where('expires_at', '<=', now).execute()
  await db.insertInto('handshake_nonces').values(row).execute()
}

/**
 * Takes a nonce's row out: one `DELETE … RETURNING` on both dialects, so two redemptions of one
 * nonce (a replayed URL racing the real one) cannot both get it. An expired row is not returned.
 */
export async function takeNonce(
  db: Kysely<Database>,
  nonceHash: string,
  now: number,
): Promise<HandshakeNonceRow | undefined> {
  const row = await db
    .deleteFrom('handshake_nonces')
    .where('nonce_hash', '=', nonceHash)
    .returningAll()
    .executeTakeFirst()
  if (!row || Number(row.expires_at) <= now) return undefined
  return {
    ...row,
    client_uat: Number(row.client_uat),
    suffixed_cookies: Number(row.suffixed_cookies),
    expires_at: Number(row.expires_at),
  }
}
