import { ApiError, newId } from '@latchkey/contracts'
import { type SignUpRow, toDbJson, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertSocialAllowed } from '../sign-ins/sign-in-oauth.js'
import { completeSignUp } from './sign-up-completion.js'
import { usernameFromHandle } from './sign-up-oauth.js'
import * as repo from './sign-ups.repository.js'
import type { SignUpResult } from './sign-ups.service.js'

const SIGN_UP_TTL_MS = 24 * 3600 * 1000

/**
 * `POST /v1/client/sign_ups` with `transfer=true` (Clerk's transfer): the client's sign-in came
 * back from a provider with an account nobody has, so a user is created from what the provider
 * asserted — the address stored verified only if the provider said `email_verified: true` — with
 * the external account, the session and the sign-up in one group. An address another user has
 * is refused (`form_identifier_exists`): the account is linked to nobody (docs/SECURITY.md).
 */
export async function transferSignUp(
  d: ServiceDeps,
  clientId: string | undefined,
  device: Device,
): Promise<SignUpResult> {
  const source = clientId ? await d.services.externalAccounts.transferable(clientId) : undefined
  if (!source) throw ApiError.of('external_account_not_found')
  const { flow, claims } = source
  // The provider's answer may predate the connection that now covers its address.
  await assertSocialAllowed(d, flow.provider, claims, undefined)
  if (!claims.email) return waitForEmail(d, flow.id, claims, clientId, null)
  await d.services.signUpPolicy.assertMaySignUp(claims.email)
  // An address the provider did not vouch for is proved here first (the default), as a
  // password sign-up's is: a user created with it unproved would hold an identifier its owner
  // could later prove into an account the provider's holder signs in to (pre-account takeover).
  if (
    !claims.emailVerified &&
    (await d.services.instance.settings()).sign_up.verify_email_at_sign_up
  ) {
    await d.services.users.assertIdentifiersAvailable([claims.email], null)
    return waitForEmail(d, flow.id, claims, clientId, claims.email)
  }
  const prepared = await d.services.users.prepare({
    emailAddress: [claims.email],
    emailsVerified: claims.emailVerified,
    firstName: claims.givenName,
    lastName: claims.familyName,
    username: await usernameFromHandle(d, claims.username),
  })
  const now = d.clock.now()
  const row: SignUpRow = {
    id: newId('signUp'),
    client_id: '',
    status: 'missing_requirements',
    email_address: claims.email,
    username: prepared.user.username ?? null,
    first_name: claims.givenName,
    last_name: claims.familyName,
    unsafe_metadata: toDbJson({}),
    created_user_id: null,
    created_session_id: null,
    password_digest: null,
    password_hasher: null,
    abandon_at: now + SIGN_UP_TTL_MS,
    created_at: now,
    updated_at: now,
  }
  const accounts = d.services.externalAccounts
  const account = accounts.accountRow(prepared.user.id, flow.provider, claims)
  return completeSignUp(
    d,
    row,
    prepared,
    clientId,
    device,
    [accounts.accountInsertWrite(account), accounts.spentWrite(flow.id)],
    [account],
  )
}

/**
 * A provider that gave no address, or one it did not vouch for: the sign-up waits
 * `missing_requirements` for it (`missing_fields: ['email_address']`, then `PATCH`,
 * ./sign-up-oauth.ts `completeMissing`) or for its proof (`unverified_fields`, then prepare and
 * attempt an email code, which bring the external account along); the flow's claims move to
 * it, so the sign-in cannot transfer twice.
 */
async function waitForEmail(
  d: ServiceDeps,
  flowId: string,
  claims: ProviderClaims,
  clientId: string | undefined,
  email: string | null,
): Promise<SignUpResult> {
  const owner = d.services.clients.owner(clientId, { rotate: false })
  const now = d.clock.now()
  const row: SignUpRow = {
    id: newId('signUp'),
    client_id: owner.id,
    status: 'missing_requirements',
    email_address: email,
    username: null,
    first_name: claims.givenName,
    last_name: claims.familyName,
    unsafe_metadata: toDbJson({}),
    created_user_id: null,
    created_session_id: null,
    password_digest: null,
    password_hasher: null,
    abandon_at: now + SIGN_UP_TTL_MS,
    created_at: now,
    updated_at: now,
  }
  await writeAtomically(d.db, d.dialect, [
    owner.write({ sign_up_id: row.id }),
    repo.signUpInsert(row),
    d.services.externalAccounts.handOverWrite(flowId, row.id),
  ])
  return {
    signUp: row,
    clientId: owner.id,
    ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
  }
}
