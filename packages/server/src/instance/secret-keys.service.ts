import { ApiError, newId, randomBase62 } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import { RowCache } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import { safeEqual, sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './secret-keys.repository.js'

type Q = Kysely<Database> | Transaction<Database>

/** How much of a key `list` shows: `sk_live_` and four random characters. */
const PREFIX_LENGTH = 12

/** A newly issued key: the secret itself is only ever in this value (stored as SHA-256). */
export type IssuedSecretKey = {
  id: string
  prefix: string
  label: string | null
  created_at: number
  secret: string
}

/**
 * The Backend API's secret keys: the provisioned `LATCHKEY_SECRET_KEY`, and keys stored as
 * SHA-256 (the first boot's, and any the operator CLI issues). Keys accepted once are kept in
 * memory until the change feed says they were revoked, in this process or any other.
 */
export class SecretKeysService {
  private readonly d: ServiceDeps
  /** By key hash: every Backend API call authenticates first. */
  readonly #accepted: RowCache<{ id: string }>

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.#accepted = new RowCache(deps.changes, 1000)
  }

  /** Issues a new key (in `db`, which may be a transaction), with an optional label. */
  async issue(db: Q = this.d.db, label: string | null = null): Promise<IssuedSecretKey> {
    const secret = `sk_live_${randomBase62(40)}`
    const key = {
      id: newId('apiKey'),
      prefix: secret.slice(0, PREFIX_LENGTH),
      label,
      created_at: this.d.clock.now(),
    }
    await repo.insertApiKey(db, { ...key, secret_hash: sha256(secret) })
    return { ...key, secret }
  }

  /** The stored keys (never the secrets, which are not stored). */
  list(): Promise<repo.SecretKeyInfo[]> {
    return repo.listApiKeys(this.d.db)
  }

  /** Revokes a stored key; every server refuses it from its next request. */
  async revoke(id: string): Promise<void> {
    if (!(await repo.deleteApiKey(this.d.db, id)))
      throw ApiError.of('resource_not_found', { longMessage: `No secret key with id ${id}.` })
  }

  /**
   * Whether a Backend API secret key is valid: the provisioned `LATCHKEY_SECRET_KEY` (constant
   * time) or a stored key (by SHA-256).
   */
  async authenticate(key: string): Promise<void> {
    const provisioned = this.d.config.secretKey
    if (provisioned && safeEqual(key, provisioned)) return
    if (!/^sk_(live|test)_[A-Za-z0-9_-]{16,200}$/.test(key))
      throw ApiError.of('authentication_invalid')
    const hash = sha256(key)
    const found = await this.#accepted.get(
      hash,
      () => repo.findApiKeyByHash(this.d.db, hash),
      (row) => [`api_key:${row.id}`],
    )
    if (!found) throw ApiError.of('authentication_invalid')
  }
}
