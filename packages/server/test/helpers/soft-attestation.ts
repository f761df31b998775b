import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url')

/**
 * A WebAuthn registration response made in software, `none` attestation (as passkey providers
 * send): a fresh P-256 credential — or `credentialId`'s again — answering `nonce` (the creation
 * options Latchkey sends as `verification.nonce`) from `origin`. A `none` attestation signs
 * nothing, so a scripted client can present any credential id it has seen: the server's
 * uniqueness check is what refuses a duplicate.
 */
export function softAttestation(nonce: string, origin: string, credentialId?: Uint8Array): string {
  const options = JSON.parse(nonce) as { challenge: string; rp: { id: string } }
  const id = credentialId ?? new Uint8Array(randomBytes(16))
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const cose = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
    [-3, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
  ])
  const idLength = Buffer.alloc(2)
  idLength.writeUInt16BE(id.length)
  const authData = Buffer.concat([
    createHash('sha256').update(options.rp.id).digest(),
    Buffer.from([0x45]), // user present, user verified, attested credential data
    Buffer.alloc(4), // signature counter 0
    Buffer.alloc(16), // AAGUID
    idLength,
    Buffer.from(id),
    Buffer.from(isoCBOR.encode(cose)),
  ])
  const clientData = { type: 'webauthn.create', challenge: options.challenge, origin }
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', new Uint8Array(authData)],
    ]) as never,
  )
  return JSON.stringify({
    id: b64url(id),
    rawId: b64url(id),
    type: 'public-key',
    response: {
      clientDataJSON: b64url(Buffer.from(JSON.stringify(clientData))),
      attestationObject: b64url(attestationObject),
      transports: ['internal'],
    },
    clientExtensionResults: {},
  })
}
