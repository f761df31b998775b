import { ApiError, newId } from '@latchkey/contracts'
import { type SignUpRow, toDbJson, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import { prepareProviderRedirect } from '../external-accounts/provider-redirect.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertSocialAllowed } from '../sign-ins/sign-in-oauth.js'
import { completeSignUp } from './sign-up-completion.js'
import * as repo from './sign-ups.repository.js'
import type { SignUpResult } from './sign-ups.service.js'

const SIGN_UP_TTL_MS = 24 * 3600 * 1000

export type OAuthSignUpInput = {
  strategy: string
  /** `enterprise_sso`: the address whose domain chooses the connection. */
  emailAddress?: string | undefined
  redirectUrl?: string | undefined
  actionCompleteRedirectUrl?: string | undefined
  proxyUrl?: string | undefined
}

/**
 * `POST /v1/client/sign_ups` with `strategy=oauth_<provider>` (Clerk's redirect sign-up): a
 * sign-up with nothing in it yet, `missing_requirements`, whose `external_account` verification
 * sends the browser to the provider (`external_verification_redirect_url`).
 */
export async function startOAuthSignUp(
  d: ServiceDeps,
  input: OAuthSignUpInput,
  clientId: string | undefined,
  device: Device,
): Promise<SignUpResult> {
  const owner = d.services.clients.owner(clientId, { rotate: false })
  const now = d.clock.now()
  const row: SignUpRow = {
    id: newId('signUp'),
    client_id: owner.id,
    status: 'missing_requirements',
    email_address: null,
    username: null,
    first_name: null,
    last_name: null,
    unsafe_metadata: toDbJson({}),
    created_user_id: null,
    created_session_id: null,
    password_digest: null,
    password_hasher: null,
    abandon_at: now + SIGN_UP_TTL_MS,
    created_at: now,
    updated_at: now,
  }
  const prepared = await prepareProviderRedirect(
    d,
    device,
    {
      strategy: input.strategy,
      ownerId: row.id,
      purpose: 'sign_up',
      clientId: owner.id,
      emailAddress: input.emailAddress,
    },
    input,
  )
  await writeAtomically(d.db, d.dialect, [
    owner.write({ sign_up_id: row.id }),
    repo.signUpInsert(row),
    ...prepared,
  ])
  return {
    signUp: row,
    clientId: owner.id,
    ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
  }
}

/**
 * The provider's callback proved `claims` for the sign-up `id`. An account that is linked
 * already, or that may be linked (a verified address on both sides, docs/SECURITY.md), belongs
 * to a user: the verification becomes `transferable` (`external_account_exists`) and the app
 * signs in with `transfer: true`. A provider that gave no address leaves the sign-up
 * `missing_requirements` with `missing_fields: ['email_address']` ({@link completeMissing}).
 * Otherwise the user is created from what the provider asserted, with the external account.
 */
export async function completeOAuthSignUp(
  d: ServiceDeps,
  id: string,
  provider: string,
  claims: ProviderClaims,
  verificationId: string,
  device: Device,
): Promise<SignUpResult> {
  const run = () => oauthSignUp(d, id, provider, claims, verificationId, device)
  try {
    return await run()
  } catch (error) {
    // Another callback for the same provider account created its user after this one looked
    // for it: the identifier check, or a unique index at the write, refused this one, and
    // nothing was written. Decided again, the account is linked now (or its verified address is
    // that user's): `transferable`. Any other taken address is refused again, as it was.
    if (!(error instanceof ApiError && error.code === 'form_identifier_exists')) throw error
    return run()
  }
}

async function oauthSignUp(
  d: ServiceDeps,
  id: string,
  provider: string,
  claims: ProviderClaims,
  verificationId: string,
  device: Device,
): Promise<SignUpResult> {
  const signUp = await d.services.signUps.find(id)
  if (signUp?.status !== 'missing_requirements') throw ApiError.of('resource_not_found')
  if (d.clock.now() >= signUp.abandon_at) throw ApiError.of('resource_not_found')
  const accounts = d.services.externalAccounts
  const linked = await accounts.findAccount(provider, claims.sub)
  const owner = linked
    ? await d.services.users.findById(linked.user_id)
    : await accounts.linkableUser(claims)
  await assertSocialAllowed(d, provider, claims, owner)
  if (linked || owner) {
    await d.services.verifications.settle(verificationId, 'transferable')
    return { signUp, clientId: signUp.client_id }
  }
  if (!claims.email) return { signUp, clientId: signUp.client_id }
  // An address the provider did not vouch for waits for its proof (`unverified_fields`), as in
  // ./sign-up-transfer.ts: created unproved, its owner could later prove it into this account.
  if (
    !claims.emailVerified &&
    (await d.services.instance.settings()).sign_up.verify_email_at_sign_up
  ) {
    await d.services.signUpPolicy.assertMaySignUp(claims.email)
    await d.services.users.assertIdentifiersAvailable([claims.email], null)
    const now = d.clock.now()
    await writeAtomically(d.db, d.dialect, [repo.signUpEmailSet(signUp.id, claims.email, now)])
    return {
      signUp: { ...signUp, email_address: claims.email, updated_at: now },
      clientId: signUp.client_id,
    }
  }
  return createFromClaims(d, signUp, provider, claims, claims.email, device)
}

/**
 * `PATCH /v1/client/sign_ups/{id}` for a sign-up the provider left short: the address it did
 * not give. Nobody proved that address: with `verify_email_at_sign_up` (the default) the
 * sign-up waits for its proof like any other (`unverified_fields: ['email_address']`, then
 * prepare / attempt verification, which bring the external account along); without it the
 * user is created with the address unverified. Either way it links to no one.
 */
export async function completeMissing(
  d: ServiceDeps,
  signUp: SignUpRow,
  input: { emailAddress?: string | undefined },
  device: Device,
): Promise<SignUpResult> {
  if (signUp.status !== 'missing_requirements') throw ApiError.of('resource_not_found')
  const source = await d.services.externalAccounts.answeredFlowOf(signUp.id)
  if (!source) throw ApiError.of('external_account_not_found')
  const email = input.emailAddress
  if (!email) throw ApiError.of('form_param_missing', { meta: { param_name: 'email_address' } })
  const { sign_up } = await d.services.instance.settings()
  if (!sign_up.verify_email_at_sign_up) {
    const claims = { ...source.claims, emailVerified: false }
    return createFromClaims(d, signUp, source.flow.provider, claims, email, device)
  }
  await d.services.signUpPolicy.assertMaySignUp(email)
  await d.services.users.assertIdentifiersAvailable([email], null)
  const now = d.clock.now()
  await writeAtomically(d.db, d.dialect, [repo.signUpEmailSet(signUp.id, email, now)])
  return {
    signUp: { ...signUp, email_address: email, updated_at: now },
    clientId: signUp.client_id,
  }
}

/**
 * The provider's handle (a GitHub login, a Discord username, an OIDC `preferred_username`) as
 * the new user's username, as Clerk takes it: only when it is a valid username (the rule of
 * http/params.ts `usernameField`) that nobody here has. Otherwise the user has none, and can
 * choose one later; a handle taken meanwhile fails the insert on the unique index, and the
 * sign-up decides again (`completeOAuthSignUp`).
 */
export async function usernameFromHandle(
  d: ServiceDeps,
  handle: string | null | undefined,
): Promise<string | undefined> {
  const name = handle?.trim()
  if (!name || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return undefined
  return (await d.services.users.findByIdentifier(name)) ? undefined : name
}

async function createFromClaims(
  d: ServiceDeps,
  signUp: SignUpRow,
  provider: string,
  claims: ProviderClaims,
  email: string,
  device: Device,
): Promise<SignUpResult> {
  await d.services.signUpPolicy.assertMaySignUp(email)
  const username = await usernameFromHandle(d, claims.username)
  const prepared = await d.services.users.prepare({
    emailAddress: [email],
    emailsVerified: claims.emailVerified && claims.email === email,
    firstName: claims.givenName,
    lastName: claims.familyName,
    username,
  })
  const flow = await d.services.externalAccounts.answeredFlowOf(signUp.id)
  const accounts = d.services.externalAccounts
  const row = {
    ...signUp,
    email_address: email,
    username: prepared.user.username ?? null,
    first_name: claims.givenName,
    last_name: claims.familyName,
  }
  const account = accounts.accountRow(prepared.user.id, provider, claims)
  return completeSignUp(
    d,
    row,
    prepared,
    signUp.client_id,
    device,
    [accounts.accountInsertWrite(account), ...(flow ? [accounts.spentWrite(flow.flow.id)] : [])],
    [account],
    true,
  )
}
