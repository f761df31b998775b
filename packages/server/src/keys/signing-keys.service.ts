import { createPrivateKey, type KeyObject } from 'node:crypto'
import { randomBase62 } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import { exportJWK, exportPKCS8, generateKeyPair, type JWK, type JWTPayload } from 'jose'
import type { Insertable, Transaction } from 'kysely'
import { CompactSigner } from '../lib/jws.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './signing-keys.repository.js'

/**
 * What a key signs. RFC 8725 §3.12: one key per kind of token, so a token of one kind can never
 * verify as another. `session`: session and template tokens (`/.well-known/jwks.json`, the
 * Backend API's `/v1/jwks`). `oauth`: the OAuth issuer's ID tokens (`/oauth/jwks` only).
 */
export type KeyPurpose = 'session' | 'oauth'

/** A signing key, unsealed in memory. */
type ActiveKey = { kid: string; alg: 'RS256'; key: KeyObject; signer: CompactSigner }
type KeySet = { active: ActiveKey; jwks: { keys: JWK[] } }

const KID_PREFIX: Record<KeyPurpose, string> = { session: 'ins_key_', oauth: 'ins_oauth_key_' }

/**
 * Owns the instance's signing keys. Private keys are stored sealed (AES-256-GCM, see
 * lib/crypto.ts); only public JWKs are ever published.
 */
export class SigningKeysService {
  readonly #sets = new Map<KeyPurpose, KeySet>()

  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** Creates the first RS256 key (RSA-2048, e = 65537, what Clerk's SDKs accept) inside `trx`. */
  async createInitialKey(trx: Transaction<Database>): Promise<void> {
    await repo.insertKey(trx, await this.newKey('session'))
  }

  /**
   * Loads and unseals the active keys and the published sets. Call at boot. The OAuth key is
   * created on the first boot that lacks one (instances created before it existed too).
   */
  async load(): Promise<void> {
    if (!(await repo.findActiveKey(this.d.db, 'RS256', 'oauth')))
      await repo.insertOAuthKeyIfNone(this.d.db, await this.newKey('oauth'))
    for (const purpose of ['session', 'oauth'] as const) {
      const row = await repo.findActiveKey(this.d.db, 'RS256', purpose)
      if (!row)
        throw new Error(`no active RS256 ${purpose} signing key: the instance was not initialised`)
      const key = createPrivateKey(this.d.box.open(row.private_key_enc, `signing_key:${row.kid}`))
      const rows = await repo.listPublishedKeys(this.d.db, purpose)
      this.#sets.set(purpose, {
        active: {
          kid: row.kid,
          alg: 'RS256',
          key,
          signer: new CompactSigner('RS256', key, { kid: row.kid }),
        },
        jwks: { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) },
      })
    }
  }

  /** A public JWK Set: `{ keys: [...] }`. Never contains private or symmetric material. */
  jwks(purpose: KeyPurpose = 'session'): { keys: JWK[] } {
    return this.set(purpose).jwks
  }

  /** The active private key as a JWK, for the OAuth provider's ID tokens (never published). */
  privateJwk(purpose: KeyPurpose): JWK {
    const { active } = this.set(purpose)
    return {
      ...(active.key.export({ format: 'jwk' }) as JWK),
      kid: active.kid,
      alg: 'RS256',
      use: 'sig',
    }
  }

  /** Signs claims as a compact JWT with the active RS256 key (`typ: JWT`, `kid`). */
  sign(claims: JWTPayload, purpose: KeyPurpose = 'session'): string {
    return this.set(purpose).active.signer.sign(claims)
  }

  private set(purpose: KeyPurpose): KeySet {
    const set = this.#sets.get(purpose)
    if (!set) throw new Error('signing keys not loaded')
    return set
  }

  private async newKey(purpose: KeyPurpose): Promise<Insertable<Database['signing_keys']>> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', {
      modulusLength: 2048,
      extractable: true,
    })
    const kid = `${KID_PREFIX[purpose]}${randomBase62(20)}`
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
    return {
      kid,
      alg: 'RS256',
      public_jwk: JSON.stringify(jwk),
      private_key_enc: this.d.box.seal(await exportPKCS8(privateKey), `signing_key:${kid}`),
      status: 'active',
      purpose,
      created_at: this.d.clock.now(),
    }
  }
}
