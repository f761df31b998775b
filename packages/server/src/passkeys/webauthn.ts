import { Buffer } from 'node:buffer'
import { ApiError } from '@latchkey/contracts'
import type { PasskeyRow } from '@latchkey/db'
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import * as z from 'zod'
import type { ServiceDeps } from '../service-deps.js'
import { expectedOrigins, relyingPartyId } from './relying-party.js'

/**
 * SimpleWebAuthn, loaded by the first passkey call rather than at boot: about 16 MiB of every
 * worker's memory (its CBOR, ASN.1 and attestation-format stack) that a server whose users have
 * no passkeys never uses (issue #21).
 */
let simpleWebAuthn: Promise<typeof import('@simplewebauthn/server')> | undefined
export function webAuthn(): Promise<typeof import('@simplewebauthn/server')> {
  simpleWebAuthn ??= import('@simplewebauthn/server')
  return simpleWebAuthn
}

const b64url = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]*$/)
const Base = {
  id: b64url.min(1),
  rawId: b64url.min(1),
  type: z.literal('public-key'),
  authenticatorAttachment: z.string().max(32).nullish(),
}
const Assertion = z.object({
  ...Base,
  response: z.object({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.nullish(),
  }),
})
const Attestation = z.object({
  ...Base,
  response: z.object({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: z.array(z.string().max(32)).max(16).nullish(),
  }),
})

/** Clerk's `public_key_credential` was missing or not a credential: the field is named. */
export function credentialInvalid(): ApiError {
  return ApiError.of('form_param_format_invalid', {
    longMessage: 'public_key_credential must be a WebAuthn credential serialized as JSON.',
    meta: { param_name: 'public_key_credential' },
  })
}

/** The assertion was checked and refused: why, in words; the code is the engine's. */
export function passkeyRefused(why: string, cause?: unknown): ApiError {
  return ApiError.of('verification_failed', {
    longMessage: `The passkey could not be verified: ${why}.`,
    meta: { param_name: 'public_key_credential' },
    ...(cause === undefined ? {} : { cause }),
  })
}

function parse<T>(schema: z.ZodType<T>, raw: string | undefined): T {
  if (raw === undefined) throw credentialInvalid()
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw credentialInvalid()
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw credentialInvalid()
  return parsed.data
}

/** clerk-js's `serializePublicKeyCredentialAssertion` output, in SimpleWebAuthn's type. */
export function parseAssertion(raw: string | undefined): AuthenticationResponseJSON {
  const a = parse(Assertion, raw)
  return {
    id: a.id,
    rawId: a.rawId,
    type: a.type,
    clientExtensionResults: {},
    response: {
      clientDataJSON: a.response.clientDataJSON,
      authenticatorData: a.response.authenticatorData,
      signature: a.response.signature,
      ...(a.response.userHandle ? { userHandle: a.response.userHandle } : {}),
    },
  }
}

/** clerk-js's `serializePublicKeyCredential` output, in SimpleWebAuthn's type. */
export function parseAttestation(raw: string | undefined): RegistrationResponseJSON {
  const a = parse(Attestation, raw)
  return {
    id: a.id,
    rawId: a.rawId,
    type: a.type,
    clientExtensionResults: {},
    response: {
      clientDataJSON: a.response.clientDataJSON,
      attestationObject: a.response.attestationObject,
      transports: (a.response.transports ??
        []) as RegistrationResponseJSON['response']['transports'],
    },
  }
}

/** The user handle a passkey is made with: the user id's bytes (WebAuthn `user.id`). */
export const userHandleOf = (userId: string): Uint8Array<ArrayBuffer> =>
  new Uint8Array(Buffer.from(userId, 'utf8'))
export const userHandleB64 = (userId: string): string =>
  Buffer.from(userId, 'utf8').toString('base64url')

/** The RP ID and the origins a ceremony may run on, as the instance is configured now. */
export async function relyingParty(d: ServiceDeps): Promise<{ rpId: string; origins: string[] }> {
  const rpId = relyingPartyId(d.config)
  const settings = await d.services.instance.settings()
  const allowed = [...d.config.allowedOrigins, ...settings.allowed_origins]
  return { rpId, origins: expectedOrigins(d.config.url, allowed, rpId) }
}

/** The transports an authenticator named at registration (hints for the browser). */
export function transportsOf(p: Pick<PasskeyRow, 'transports'>) {
  try {
    const t = JSON.parse(p.transports) as unknown
    return Array.isArray(t) ? (t.filter((x) => typeof x === 'string') as never[]) : []
  } catch {
    return []
  }
}
