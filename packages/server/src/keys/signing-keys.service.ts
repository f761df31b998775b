import { createPrivateKey, type KeyObject } from 'node:crypto'
import { randomBase62 } from '@latchkey/contracts'
import type { Database } from '@latchkey/db'
import { exportJWK, exportPKCS8, generateKeyPair, type JWK, type JWTPayload } from 'jose'
import type { Transaction } from 'kysely'
import { CompactSigner } from '../lib/jws.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './signing-keys.repository.js'

/** The instance's signing key, unsealed in memory. */
type ActiveKey = { kid: string; alg: 'RS256'; key: KeyObject; signer: CompactSigner }

/**
 * Owns the instance's signing keys. Private keys are stored sealed (AES-256-GCM, see
 * lib/crypto.ts); only public JWKs are ever published.
 */
export class SigningKeysService {
  #active: ActiveKey | undefined
  #jwks: { keys: JWK[] } | undefined

  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** Creates the first RS256 key (RSA-2048, e = 65537, what Clerk's SDKs accept) inside `trx`. */
  async createInitialKey(trx: Transaction<Database>): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', {
      modulusLength: 2048,
      extractable: true,
    })
    const kid = `ins_key_${randomBase62(20)}`
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
    await repo.insertKey(trx, {
      kid,
      alg: 'RS256',
      public_jwk: JSON.stringify(jwk),
      private_key_enc: this.d.box.seal(await exportPKCS8(privateKey), `signing_key:${kid}`),
      status: 'active',
      created_at: this.d.clock.now(),
    })
  }

  /** Loads and unseals the active key and the published set. Call at boot. */
  async load(): Promise<void> {
    const row = await repo.findActiveKey(this.d.db, 'RS256')
    if (!row) throw new Error('no active RS256 signing key: the instance was not initialised')
    const pem = this.d.box.open(row.private_key_enc, `signing_key:${row.kid}`)
    const key = createPrivateKey(pem)
    this.#active = {
      kid: row.kid,
      alg: 'RS256',
      key,
      signer: new CompactSigner('RS256', key, { kid: row.kid }),
    }
    const rows = await repo.listPublishedKeys(this.d.db)
    this.#jwks = { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) }
  }

  /** The public JWK Set: `{ keys: [...] }`. Never contains private or symmetric material. */
  jwks(): { keys: JWK[] } {
    if (!this.#jwks) throw new Error('signing keys not loaded')
    return this.#jwks
  }

  /** The active private key as a JWK, for the OAuth provider's ID tokens (never published). */
  privateJwk(): JWK {
    const active = this.#active
    if (!active) throw new Error('signing keys not loaded')
    return {
      ...(active.key.export({ format: 'jwk' }) as JWK),
      kid: active.kid,
      alg: 'RS256',
      use: 'sig',
    }
  }

  /** Signs claims as a compact JWT with the active RS256 key (`typ: JWT`, `kid`). */
  sign(claims: JWTPayload): string {
    const active = this.#active
    if (!active) throw new Error('signing keys not loaded')
    return active.signer.sign(claims)
  }
}
