import { ApiError, newId } from '@latchkey/contracts'
import { type SignInRow, writeAtomically } from '@latchkey/db'
import { parseAssertion, passkeyRefused, userHandleB64 } from '../passkeys/webauthn.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import {
  assertNotLocked,
  assertStrategyAllowed,
  enabledFirstFactors,
  finishFirstFactor,
} from './sign-in-factors.js'
import * as repo from './sign-ins.repository.js'

/**
 * Clerk's discoverable ("Sign in with a passkey") flow: `POST /v1/client/sign_ins` with
 * `strategy=passkey` and no identifier. The sign-in waits for its first factor with no user;
 * its `first_factor_verification.nonce` holds request options listing no credentials, so the
 * browser offers every passkey it has for the RP ID. The assertion then names the user: its
 * credential must be registered and its user handle that user's.
 */
export async function createDiscoverable(
  d: ServiceDeps,
  clientId: string | undefined,
  device: Device,
  ttlMs: number,
): Promise<{ signIn: SignInRow; clientId: string; newClientToken?: string }> {
  const { verifications, clients } = d.services
  const strategy = verifications.strategy('passkey', await enabledFirstFactors(d))
  const now = d.clock.now()
  const owner = clients.owner(clientId, { rotate: false })
  const row: SignInRow = {
    id: newId('signIn'),
    client_id: owner.id,
    user_id: null,
    identifier: null,
    status: 'needs_first_factor',
    created_session_id: null,
    abandon_at: now + ttlMs,
    created_at: now,
    updated_at: now,
  }
  const target = {
    ownerId: row.id,
    slot: 'first_factor' as const,
    purpose: 'sign_in' as const,
    emailAddress: '',
    emailAddressId: null,
    clientId: owner.id,
    userId: null,
  }
  const prepared = await verifications.prepare(strategy, target, {}, device)
  await writeAtomically(d.db, d.dialect, [
    owner.write({ sign_in_id: row.id }),
    repo.signInInsert(row),
    ...prepared,
  ])
  return {
    signIn: row,
    clientId: owner.id,
    ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
  }
}

/** `attempt_first_factor` on a discoverable sign-in: the assertion's credential names the user. */
export async function attemptDiscoverable(
  d: ServiceDeps,
  signIn: SignInRow,
  publicKeyCredential: string | undefined,
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  const { verifications, passkeys, users } = d.services
  const strategy = verifications.strategy('passkey', await enabledFirstFactors(d))
  const assertion = parseAssertion(publicKeyCredential)
  const found = await passkeys.findByCredential(assertion.id)
  const handle = assertion.response.userHandle
  if (!found) throw passkeyRefused('no account has this passkey')
  // A discoverable credential always names its user (WebAuthn §6.1.2); it must be the owner.
  if (handle !== userHandleB64(found.user_id)) {
    throw passkeyRefused('its user handle names another account')
  }
  const user = await users.findById(found.user_id)
  if (!user) throw passkeyRefused('no account has this passkey')
  if (user.banned) throw ApiError.of('user_banned')
  assertNotLocked(user)
  // A user with an address an enterprise connection covers signs in at its IdP only.
  await assertStrategyAllowed(d, null, 'passkey', await users.findWithEmails(user.id))
  const owner = { id: signIn.id, slot: 'first_factor' as const, clientId: signIn.client_id }
  await verifications.attempt(strategy, owner, user, { publicKeyCredential }, device)
  const outcome = { provedEmailId: null, needsNewPassword: false, satisfiesSecondFactor: true }
  return finishFirstFactor(d, { ...signIn, user_id: user.id }, user, outcome, device)
}
