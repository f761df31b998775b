import { Buffer } from 'node:buffer'
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { ApiError } from '@latchkey/contracts'

/** Algorithms a template may sign with when it brings its own key. */
export const TEMPLATE_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'EdDSA',
  'HS256',
] as const
export type TemplateAlgorithm = (typeof TEMPLATE_ALGORITHMS)[number]

/** Key material ready for jose: a private KeyObject, or the HMAC secret's bytes. */
export type SigningMaterial = KeyObject | Uint8Array

const CURVES: Partial<Record<TemplateAlgorithm, string>> = {
  ES256: 'prime256v1',
  ES384: 'secp384r1',
}

const invalid = (longMessage: string) =>
  ApiError.of('signing_key_invalid', { longMessage, meta: { param_name: 'signing_key' } })

/**
 * Checks that `signingKey` fits `alg` and turns it into key material: a PEM private key (PKCS#8,
 * PKCS#1 or SEC1) of the right type and size, or for HS256 a secret of at least 32 bytes.
 */
export function importSigningKey(alg: TemplateAlgorithm, signingKey: string): SigningMaterial {
  if (alg === 'HS256') {
    const secret = new Uint8Array(Buffer.from(signingKey, 'utf8'))
    if (secret.length < 32) throw invalid('An HS256 secret must be at least 32 bytes.')
    return secret
  }
  let key: KeyObject
  try {
    key = createPrivateKey(signingKey)
  } catch {
    throw invalid('signing_key must be a PEM-encoded private key.')
  }
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails
  if (alg.startsWith('RS')) {
    if (type !== 'rsa') throw invalid(`${alg} needs an RSA private key.`)
    if ((details?.modulusLength ?? 0) < 2048) throw invalid('RSA keys must be at least 2048 bits.')
  } else if (alg === 'EdDSA') {
    if (type !== 'ed25519') throw invalid('EdDSA needs an Ed25519 private key.')
  } else if (type !== 'ec' || details?.namedCurve !== CURVES[alg]) {
    throw invalid(`${alg} needs an EC private key on ${alg === 'ES256' ? 'P-256' : 'P-384'}.`)
  }
  return key
}
