import type { Database } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Adapter, AdapterPayload } from 'oidc-provider'
import { sha256 } from '../lib/crypto.js'
import { clientMetadata, registrationInput } from './client-metadata.js'
import type { OAuthApplicationsService } from './oauth-applications.service.js'

/** Every this many writes, a process removes rows that expired more than a day ago. */
const SWEEP_EVERY = 500
const SWEEP_GRACE_MS = 24 * 3600 * 1000

/**
 * A model's value never reaches the database: rows are keyed by its SHA-256 (base64url, as
 * client tokens and secret keys are), lookups hash the value presented, and the payload's copy
 * of it (`jti`) is dropped on write and put back on read. So a database reader (a backup, a
 * replica, a dump) holds no code, access or refresh token it could replay. (Values are 256-bit
 * random: a fast hash suffices.) Migration 0008 re-keyed the rows written before.
 *
 * Sessions keep their `jti`: `findByUid` must return it, and a session id is only ever presented
 * in a cookie signed with a key the database does not hold. A grant's own row carries its id in
 * `grant_id`, as its tokens do, for the remembered-consent lookup; a grant id is never presented
 * by a client and grants nothing.
 */
const keyOf = (id: string) => sha256(id)

function withoutValue(kind: string, payload: AdapterPayload): AdapterPayload {
  if (kind === 'Session') return payload
  const { jti: _value, ...rest } = payload
  return rest
}

/**
 * oidc-provider's storage on Kysely: one `oidc_models` row a model instance (grants, codes,
 * tokens, interactions, its sessions), so they survive restarts and every process on a shared
 * PostgreSQL sees the same ones. `Client` is the exception: clients are the `oauth_applications`
 * rows the Backend API manages (and dynamic registration creates).
 *
 * Expiry uses the wall clock, as oidc-provider itself does for the tokens it checks.
 */
export function kyselyAdapterFactory(
  db: Kysely<Database>,
  applications: OAuthApplicationsService,
): (name: string) => Adapter {
  let writes = 0
  const sweep = async () => {
    await db
      .deleteFrom('oidc_models')
      .where('expires_at', '<', Date.now() - SWEEP_GRACE_MS)
      .execute()
  }

  return (kind: string): Adapter => {
    if (kind === 'Client') return clientAdapter(applications)

    const findBy = (column: 'id' | 'uid' | 'user_code', value: string) =>
      db
        .selectFrom('oidc_models')
        .select(['payload', 'expires_at', 'consumed_at'])
        .where('kind', '=', kind)
        .where(column, '=', value)
        .executeTakeFirst()
    const load = (
      r: { payload: string; expires_at: number | null; consumed_at: number | null } | undefined,
      id?: string,
    ): AdapterPayload | undefined => {
      if (!r) return undefined
      if (r.expires_at !== null && r.expires_at <= Date.now()) return undefined
      const payload = JSON.parse(r.payload) as AdapterPayload
      if (id !== undefined) payload.jti = id
      return r.consumed_at !== null
        ? { ...payload, consumed: Math.floor(r.consumed_at / 1000) }
        : payload
    }

    return {
      async upsert(id, payload, expiresIn) {
        const values = {
          payload: JSON.stringify(withoutValue(kind, payload)),
          grant_id: (kind === 'Grant' ? id : payload.grantId) ?? null,
          uid: payload.uid ?? null,
          user_code: payload.userCode ?? null,
          account_id: payload.accountId ?? null,
          client_id: payload.clientId ?? null,
          expires_at: expiresIn ? Date.now() + expiresIn * 1000 : null,
        }
        await db
          .insertInto('oidc_models')
          .values({ kind, id: keyOf(id), consumed_at: null, ...values })
          .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet(values))
          .execute()
        writes += 1
        if (writes % SWEEP_EVERY === 0) await sweep()
      },
      async find(id) {
        return load(await findBy('id', keyOf(id)), id)
      },
      async findByUid(uid) {
        return load(await findBy('uid', uid))
      },
      // The device flow is off: its user codes would need hashing too, and its device codes a
      // `jti` kept for this lookup.
      async findByUserCode() {
        throw new Error('the device authorization grant is not enabled')
      },
      async consume(id) {
        await db
          .updateTable('oidc_models')
          .set({ consumed_at: Date.now() })
          .where('kind', '=', kind)
          .where('id', '=', keyOf(id))
          .execute()
      },
      async destroy(id) {
        await db
          .deleteFrom('oidc_models')
          .where('kind', '=', kind)
          .where('id', '=', keyOf(id))
          .execute()
      },
      async revokeByGrantId(grantId) {
        await db
          .deleteFrom('oidc_models')
          .where('kind', '=', kind)
          .where('grant_id', '=', grantId)
          .execute()
      },
    }
  }
}

/** Clients are OAuth applications; dynamic registration creates one. */
function clientAdapter(applications: OAuthApplicationsService): Adapter {
  const unsupported = async () => {
    throw new Error('not supported for clients')
  }
  return {
    async find(clientId) {
      const row = await applications.findByClientId(clientId)
      return row ? clientMetadata(row) : undefined
    },
    async upsert(clientId, metadata) {
      const { input, secret } = registrationInput(metadata)
      await applications.create(input, {
        dynamicallyRegistered: true,
        clientId,
        ...(secret ? { clientSecret: secret } : {}),
      })
    },
    async destroy(clientId) {
      const row = await applications.findByClientId(clientId)
      if (row) await applications.delete(row.id)
    },
    findByUid: unsupported,
    findByUserCode: unsupported,
    consume: unsupported,
    revokeByGrantId: unsupported,
  }
}

/** The grant a user gave a client before, if any (remembered consent). */
export async function findRememberedGrantId(
  db: Kysely<Database>,
  accountId: string,
  clientId: string,
): Promise<string | undefined> {
  const r = await db
    .selectFrom('oidc_models')
    .select('grant_id')
    .where('kind', '=', 'Grant')
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', Date.now())]))
    .orderBy('expires_at', 'desc')
    .executeTakeFirst()
  return r?.grant_id ?? undefined
}
