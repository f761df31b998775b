import { ApiError, newId } from '@latchkey/contracts'
import { isUniqueViolation, type SignInRow, type UserRow, writeAtomically } from '@latchkey/db'
import type { ProviderClaims } from '../external-accounts/external-accounts.service.js'
import { prepareProviderRedirect } from '../external-accounts/provider-redirect.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { writeWithUserUpdated } from '../users/user-events.js'
import {
  assertNotLocked,
  assertStrategyAllowed,
  completeSignIn,
  needsSecondFactor,
} from './sign-in-factors.js'
import { signInInsert, signInUpdate } from './sign-ins.repository.js'
import type {
  CreateSignInInput,
  PrepareFirstFactorInput,
  SignInResult,
} from './sign-ins.service.js'

const SIGN_IN_TTL_MS = 24 * 3600 * 1000

/**
 * `POST /v1/client/sign_ins` with `strategy=oauth_<provider>` (Clerk's redirect flow): a sign-in
 * with no identifier yet, its first factor an unverified `oauth_*` verification whose
 * `external_verification_redirect_url` sends the browser to the provider.
 */
export async function startOAuthSignIn(
  d: ServiceDeps,
  input: CreateSignInInput & { strategy: string },
  clientId: string | undefined,
  device: Device,
): Promise<SignInResult> {
  const owner = d.services.clients.owner(clientId, { rotate: false })
  const now = d.clock.now()
  const row: SignInRow = {
    id: newId('signIn'),
    client_id: owner.id,
    user_id: null,
    // `enterprise_sso`: the email address whose domain chose the connection.
    identifier: input.identifier?.trim().toLowerCase() ?? null,
    status: 'needs_first_factor',
    created_session_id: null,
    abandon_at: now + SIGN_IN_TTL_MS,
    created_at: now,
    updated_at: now,
  }
  const prepared = await prepareProviderRedirect(
    d,
    device,
    {
      strategy: input.strategy,
      ownerId: row.id,
      purpose: 'sign_in',
      clientId: owner.id,
      emailAddress: input.identifier,
    },
    input,
  )
  await writeAtomically(d.db, d.dialect, [
    owner.write({ sign_in_id: row.id }),
    signInInsert(row),
    ...prepared,
  ])
  return {
    signIn: row,
    clientId: owner.id,
    ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
  }
}

/**
 * `POST …/prepare_first_factor` with `strategy=enterprise_sso` (clerk-js's
 * `authenticateWithRedirect({ continueSignIn: true })` after the identifier step): the sign-in
 * started with an address whose domain has an active connection — known user or not — gets
 * the IdP redirect as its first factor, and waits for it (`needs_first_factor`).
 */
export async function prepareEnterpriseSignIn(
  d: ServiceDeps,
  signIn: SignInRow,
  input: PrepareFirstFactorInput,
  device: Device,
): Promise<SignInRow> {
  const now = d.clock.now()
  if (now >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
  const waiting = signIn.status === 'needs_first_factor' || signIn.status === 'needs_identifier'
  if (!waiting || !signIn.identifier) throw ApiError.of('sign_in_not_ready')
  const prepared = await prepareProviderRedirect(
    d,
    device,
    {
      strategy: input.strategy,
      ownerId: signIn.id,
      purpose: 'sign_in',
      clientId: signIn.client_id,
      emailAddress: signIn.identifier,
      userId: signIn.user_id,
    },
    input,
  )
  const patch = { status: 'needs_first_factor', updated_at: Math.max(now, signIn.updated_at + 1) }
  await writeAtomically(d.db, d.dialect, [...prepared, signInUpdate(signIn.id, patch)])
  return { ...signIn, ...patch }
}

/**
 * The provider's callback proved `claims` for the sign-in `id`. A linked account signs its user
 * in (or waits for their second factor); a verified address the user proved here too links the
 * account first (docs/SECURITY.md); anything else leaves the verification `transferable`, for
 * Clerk's sign-up with `transfer: true`.
 */
export async function completeOAuthSignIn(
  d: ServiceDeps,
  id: string,
  provider: string,
  claims: ProviderClaims,
  verificationId: string,
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  return settlingLinkRace(() => oauthSignIn(d, id, provider, claims, verificationId, device))
}

/**
 * Runs a sign-in that may link a provider account; when another request linked the same account
 * between its read and its write (the unique index on provider and provider_user_id refused the
 * second insert, and the group wrote nothing), runs it once more: it now finds the account
 * linked and signs its user in, as it would have a moment later.
 */
async function settlingLinkRace<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    return run()
  }
}

async function oauthSignIn(
  d: ServiceDeps,
  id: string,
  provider: string,
  claims: ProviderClaims,
  verificationId: string,
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  const signIn = await d.services.signIns.find(id)
  const now = d.clock.now()
  if (signIn?.status !== 'needs_first_factor') throw ApiError.of('sign_in_not_ready')
  if (now >= signIn.abandon_at) throw ApiError.of('sign_in_expired')
  const accounts = d.services.externalAccounts
  const linked = await accounts.findAccount(provider, claims.sub)
  const user = linked
    ? await d.services.users.findById(linked.user_id)
    : await accounts.linkableUser(claims)
  await assertSocialAllowed(d, provider, claims, user)
  if (!user) {
    await d.services.verifications.settle(verificationId, 'transferable')
    // No user proved: a sign-in begun with a user's address (enterprise_sso) names none now.
    const patch = { status: 'needs_identifier', user_id: null, updated_at: now }
    await writeAtomically(d.db, d.dialect, [signInUpdate(id, patch)])
    return { signIn: { ...signIn, ...patch } }
  }
  if (user.banned) throw ApiError.of('user_banned')
  assertNotLocked(user)
  const link = linked
    ? [accounts.tokensWrite(linked, claims)]
    : [accounts.accountWrite(user.id, provider, claims)]
  // A newly linked account (or one whose granted scopes changed) is a change of the user's
  // `external_accounts`: its `user.updated` goes with it. New tokens alone are the sign-in's.
  const changed = !linked || linked.approved_scopes !== claims.scope ? user.id : null
  // One update per row in a group: on PostgreSQL the group is one statement, where two updates
  // of the same row would not both apply.
  if (await needsSecondFactor(d, user)) {
    const patch = { user_id: user.id, status: 'needs_second_factor', updated_at: now }
    await writeWithUserUpdated(d, [...link, signInUpdate(id, patch)], changed)
    return { signIn: { ...signIn, ...patch } }
  }
  return completeSignIn(d, { ...signIn, user_id: user.id }, user, link, device, null, changed)
}

/**
 * A social provider never signs in, links or creates a user an enterprise connection binds
 * (sign-in-factors.ts, the one rule): neither the address it asserts nor any address of the
 * user it would reach may be covered. Refused before anything is written.
 */
export async function assertSocialAllowed(
  d: ServiceDeps,
  provider: string,
  claims: ProviderClaims,
  user: UserRow | undefined,
): Promise<void> {
  // The enterprise connection itself (its callback already required that it owns the address).
  if (await d.services.enterpriseConnections.find(provider)) return
  const found = user ? await d.services.users.findWithEmails(user.id) : undefined
  await assertStrategyAllowed(d, claims.email, `oauth_${provider}`, found)
}

/**
 * `POST /v1/client/sign_ins` with `transfer=true` (Clerk's transfer the other way): the client's
 * sign-up came back from a provider with an account that is linked to a user, or that may be
 * linked by an address verified on both sides; that user signs in (or proves a second factor
 * next), the account linked in the same group. The claims are spent: one transfer per answer.
 */
export async function transferSignIn(
  d: ServiceDeps,
  clientId: string | undefined,
  device: Device,
): Promise<SignInResult> {
  return settlingLinkRace(() => transfer(d, clientId, device))
}

async function transfer(
  d: ServiceDeps,
  clientId: string | undefined,
  device: Device,
): Promise<SignInResult> {
  const accounts = d.services.externalAccounts
  const source = clientId ? await accounts.transferable(clientId, 'sign_up') : undefined
  if (!source || !clientId) throw ApiError.of('external_account_not_found')
  const { flow, claims } = source
  const linked = await accounts.findAccount(flow.provider, claims.sub)
  const user = linked
    ? await d.services.users.findById(linked.user_id)
    : await accounts.linkableUser(claims)
  if (!user) throw ApiError.of('external_account_not_found')
  if (user.banned) throw ApiError.of('user_banned')
  assertNotLocked(user)
  // The provider's answer may predate the connection that now covers the user's domain.
  await assertSocialAllowed(d, flow.provider, claims, user)
  const now = d.clock.now()
  const row: SignInRow = {
    id: newId('signIn'),
    client_id: clientId,
    user_id: user.id,
    identifier: claims.email,
    status: 'needs_first_factor',
    created_session_id: null,
    abandon_at: now + SIGN_IN_TTL_MS,
    created_at: now,
    updated_at: now,
  }
  const link = [
    ...(linked ? [] : [accounts.accountWrite(user.id, flow.provider, claims)]),
    accounts.spentWrite(flow.id),
  ]
  // The provider is the sign-in's first factor, proved: what the second factor's rule and the
  // enterprise rule at completion (sign-in-factors.ts) read of it.
  const sso = (await d.services.enterpriseConnections.find(flow.provider)) !== undefined
  const firstFactor = d.services.verifications.provedWrite(
    row.id,
    'first_factor',
    sso ? 'enterprise_sso' : `oauth_${flow.provider}`,
  )
  const owner = d.services.clients.owner(clientId, { rotate: false })
  // The account linked now is a change of the user's `external_accounts` (`user.updated`).
  const changed = linked ? null : user.id
  if (await needsSecondFactor(d, user)) {
    const waiting = { ...row, status: 'needs_second_factor' }
    await writeWithUserUpdated(
      d,
      [...link, signInInsert(waiting), firstFactor, owner.write({ sign_in_id: row.id })],
      changed,
    )
    return { signIn: waiting, clientId }
  }
  await writeAtomically(d.db, d.dialect, [signInInsert(row), firstFactor])
  const done = await completeSignIn(d, row, user, link, device, null, changed)
  return { ...done, clientId }
}
