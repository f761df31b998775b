import { Buffer } from 'node:buffer'
import { createHmac, type KeyObject, sign } from 'node:crypto'

/** Algorithms Latchkey signs with. */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'EdDSA' | 'HS256'

const HASH: Record<JwsAlgorithm, string | null> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  EdDSA: null,
  HS256: 'sha256',
}

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url')

/**
 * Compact JWS signing on node:crypto, synchronously (RFC 7515 §7.1, RFC 7518 §3).
 *
 * Token minting is the hottest path in Latchkey (every open tab, about once a minute). jose signs
 * through WebCrypto, whose per-call overhead (key conversion, a thread-pool round trip) cost more
 * than the RSA operation itself; verification stays with jose in tests and SDKs, so every token
 * minted here is checked by an independent implementation.
 */
export class CompactSigner {
  readonly #alg: JwsAlgorithm
  readonly #key: KeyObject | Uint8Array
  readonly #header: string

  constructor(alg: JwsAlgorithm, key: KeyObject | Uint8Array, header: { kid?: string } = {}) {
    this.#alg = alg
    this.#key = key
    this.#header = b64url(
      JSON.stringify({ alg, ...(header.kid ? { kid: header.kid } : {}), typ: 'JWT' }),
    )
  }

  sign(claims: object): string {
    const input = `${this.#header}.${b64url(JSON.stringify(claims))}`
    return `${input}.${this.#signature(Buffer.from(input, 'utf8'))}`
  }

  #signature(data: Buffer): string {
    const alg = this.#alg
    const key = this.#key
    if (alg === 'HS256')
      return createHmac('sha256', key as Uint8Array)
        .update(data)
        .digest('base64url')
    const k = key as KeyObject
    if (alg === 'ES256' || alg === 'ES384') {
      // JWS wants the raw r‖s form, not DER (RFC 7518 §3.4).
      return sign(HASH[alg], data, { key: k, dsaEncoding: 'ieee-p1363' }).toString('base64url')
    }
    return sign(HASH[alg], data, k).toString('base64url')
  }
}
