import { Buffer } from 'node:buffer'
import type { verifyAuthenticationResponse } from '@simplewebauthn/server'
import {
  parseAssertion,
  passkeyRefused,
  relyingParty,
  transportsOf,
  userHandleB64,
  webAuthn,
} from '../../passkeys/webauthn.js'
import type { VerificationStrategy } from '../strategy.js'

/**
 * `passkey` (WebAuthn): the sign-in's challenge is the verification's, answered by an assertion
 * (`public_key_credential`) of a passkey of the sign-in's user, signed over that challenge on an
 * expected origin for the RP ID, with the user verified (PIN or biometrics), the signature
 * counter moving forward and, where the authenticator names it, the user handle the user's. The
 * engine counts the attempt and makes the challenge single use. With an identifier the options
 * list that user's credentials; without one (Clerk's discoverable flow) they list none and the
 * browser offers every passkey it holds for the RP ID.
 */
export const passkey: VerificationStrategy = {
  name: 'passkey',
  silent: true,
  satisfiesSecondFactor: true,
  factors: (s) => ((s.passkeyCredentialIds?.length ?? 0) > 0 ? [{ strategy: 'passkey' }] : []),
  prepare: async (ctx, target) => {
    const { rpId } = await relyingParty(ctx.deps)
    const mine = target.userId ? await ctx.deps.services.passkeys.listForUsers([target.userId]) : []
    const { generateAuthenticationOptions } = await webAuthn()
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      userVerification: 'required',
      allowCredentials: mine.flatMap((p) =>
        p.credential_id ? [{ id: p.credential_id, transports: transportsOf(p) }] : [],
      ),
    })
    const { row, write } = ctx.deps.services.verifications.challenge(
      target.ownerId,
      'first_factor',
      options,
      target.clientId,
    )
    return { row, writes: [write] }
  },
  attempt: async (ctx, { row, user }, input) => {
    const response = parseAssertion(input.publicKeyCredential)
    const { passkeys, verifications } = ctx.deps.services
    const found = await passkeys.findByCredential(response.id)
    if (!user || !found || found.user_id !== user.id || !found.public_key) {
      throw passkeyRefused('it is not a passkey of this account')
    }
    const handle = response.response.userHandle
    if (handle !== undefined && handle !== userHandleB64(user.id)) {
      throw passkeyRefused('its user handle names another account')
    }
    const { rpId, origins } = await relyingParty(ctx.deps)
    const { verifyAuthenticationResponse: verify } = await webAuthn()
    let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
    try {
      result = await verify({
        response,
        expectedChallenge: (c) =>
          row !== undefined && verifications.secrets.matches(row.id, c, row.secret_hash),
        expectedOrigin: origins,
        expectedRPID: rpId,
        requireUserVerification: true,
        credential: {
          id: found.credential_id ?? '',
          publicKey: new Uint8Array(Buffer.from(found.public_key, 'base64url')),
          counter: Number(found.counter),
          transports: transportsOf(found),
        },
      })
    } catch (error) {
      throw passkeyRefused((error as Error).message, error)
    }
    if (!result.verified) throw passkeyRefused('the signature did not verify')
    const info = result.authenticationInfo
    if (!(await passkeys.recordUse(found, info.newCounter, info.credentialBackedUp))) {
      throw passkeyRefused('its signature counter did not move forward')
    }
  },
}
