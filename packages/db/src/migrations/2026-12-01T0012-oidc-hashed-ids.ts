import { createHash } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'

/*
 * oidc-provider's models are keyed by the SHA-256 of their value (security issue: codes, access
 * and refresh tokens were stored as the values themselves, replayable by anyone who could read
 * the database). This re-keys the rows written before, the way the adapter now writes them
 * (packages/server/src/oauth/oidc-adapter.ts): `id` becomes base64url SHA-256 of the value, the
 * payload's copy of it (`jti`) goes, except a session's; a grant's row carries its own id in
 * `grant_id`.
 *
 * Live rows are re-keyed rather than dropped: dropping refresh tokens and grants would sign
 * every user out of every application and ask for consent again, and codes and access tokens
 * in use would fail for nothing. Expired rows are dropped. A temporary `rekeyed` column marks
 * progress, since a re-keyed id cannot be told from a raw one.
 */
const BATCH = 500

const sha256 = (v: string) => createHash('sha256').update(v, 'utf8').digest('base64url')

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the Database type exists
type Db = Kysely<any> | Transaction<any>

async function rekey(db: Db): Promise<void> {
  await db.deleteFrom('oidc_models').where('expires_at', '<=', Date.now()).execute()
  await db.schema
    .alterTable('oidc_models')
    .addColumn('rekeyed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  for (;;) {
    const rows: { kind: string; id: string; payload: string }[] = await db
      .selectFrom('oidc_models')
      .select(['kind', 'id', 'payload'])
      .where('rekeyed', '=', 0)
      .limit(BATCH)
      .execute()
    if (rows.length === 0) break
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as Record<string, unknown>
      if (row.kind !== 'Session') delete payload.jti
      await db
        .updateTable('oidc_models')
        .set({
          id: sha256(row.id),
          payload: JSON.stringify(payload),
          rekeyed: 1,
          ...(row.kind === 'Grant' ? { grant_id: row.id } : {}),
        })
        .where('kind', '=', row.kind)
        .where('id', '=', row.id)
        .execute()
    }
  }
  await db.schema.alterTable('oidc_models').dropColumn('rekeyed').execute()
}

// biome-ignore lint/suspicious/noExplicitAny: see Db
export async function up(db: Kysely<any>): Promise<void> {
  // PostgreSQL runs migrations in a transaction already; SQLite does not, and this one must not
  // stop halfway.
  if (db.isTransaction) await rekey(db)
  else await db.transaction().execute(rekey)
}

/* The values are gone: there is nothing to restore. The rows stay valid for the new adapter. */
export async function down(): Promise<void> {}
