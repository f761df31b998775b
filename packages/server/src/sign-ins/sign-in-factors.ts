import { ApiError } from '@latchkey/contracts'
import { fromDbBool, type SignInRow, type UserRow, type Write } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { writeWithUserUpdated } from '../users/user-events.js'
import type { UserWithEmails } from '../users/users.service.js'
import { allowedSecondFactors } from '../verification/second-factor-rule.js'
import {
  FIRST_FACTOR_ORDER,
  secondFactorNamed,
  strategyNamed,
} from '../verification/strategies/index.js'
import type { SignInFactor } from '../verification/strategy.js'
import { signInUpdate } from './sign-ins.repository.js'

/** The first factors the instance enables, in Clerk's order. */
export async function enabledFirstFactors(d: ServiceDeps): Promise<string[]> {
  const { first_factors } = await d.services.instance.settings()
  return FIRST_FACTOR_ORDER.filter((name) => first_factors[name])
}

/** The redirect strategies of an enterprise connection (`saml`: clerk-js's older name). */
export const ENTERPRISE_SSO_STRATEGIES: readonly string[] = ['enterprise_sso', 'saml']

/** Addresses of a found user, whichever way they were loaded. */
type AddressOwner = { emails: readonly { email_address: string }[] } | undefined

/**
 * The one rule of issue #18: an address an active enterprise connection's domain covers signs
 * in at its IdP only. It is decided on the typed `identifier` (a user no one has yet) AND on
 * every address of the user it found: a username, another address or a passkey of a user with
 * a covered address reaches the same user, so it is bound the same way. `enterprise_sso` is
 * then the one first factor (as at Clerk).
 */
export async function enterpriseSsoFor(
  d: ServiceDeps,
  identifier: string | null | undefined,
  found?: AddressOwner,
): Promise<boolean> {
  const addresses = [identifier ?? '', ...(found?.emails.map((e) => e.email_address) ?? [])]
  return d.services.enterpriseConnections.coversAny(addresses)
}

/**
 * Refuses any first factor but `enterprise_sso` for an identifier or user the rule above binds
 * (`strategy_for_user_invalid`, Clerk's answer to a strategy the user may not use).
 */
export async function assertStrategyAllowed(
  d: ServiceDeps,
  identifier: string | null | undefined,
  strategy: string,
  found?: AddressOwner,
): Promise<void> {
  if (ENTERPRISE_SSO_STRATEGIES.includes(strategy)) return
  if (await enterpriseSsoFor(d, identifier, found)) throw ApiError.of('strategy_for_user_invalid')
}

/**
 * The rule again where a flow completes, not only where it started: a sign-in or sign-up begun
 * before its address's domain got an active connection (created, activated, or given the
 * domain) would otherwise finish past the IdP. Unless the flow was proved at an enterprise
 * connection (`viaEnterpriseSso`), a covered address — the typed identifier or any the user has
 * now — refuses it (`strategy_for_user_invalid`), before the completion writes anything.
 */
async function assertCompletionAllowed(
  d: ServiceDeps,
  viaEnterpriseSso: boolean,
  identifier: string | null | undefined,
  found: AddressOwner,
): Promise<void> {
  if (viaEnterpriseSso) return
  if (await enterpriseSsoFor(d, identifier, found)) throw ApiError.of('strategy_for_user_invalid')
}

/**
 * {@link assertCompletionAllowed} for a sign-in about to give `user` a session (or to wait for
 * their second factor or new password): its first factor is the one recorded in its
 * `first_factor` slot, enterprise SSO only when that verification was proved (a password
 * leaves no row, so a row the IdP never verified is not taken for it).
 */
export async function assertSignInStillAllowed(
  d: ServiceDeps,
  signIn: SignInRow,
  user: UserRow,
): Promise<void> {
  // No active connection (most instances): nothing to read of the sign-in or the user.
  if (!(await d.services.enterpriseConnections.anyActive())) return
  const first = await d.services.verifications.find(signIn.id, 'first_factor')
  const sso = first?.status === 'verified' && ENTERPRISE_SSO_STRATEGIES.includes(first.strategy)
  if (sso) return
  const found = await d.services.users.findWithEmails(user.id)
  await assertCompletionAllowed(d, false, signIn.identifier, found)
}

/**
 * {@link assertCompletionAllowed} for a sign-up about to create a user with `addresses`: only
 * an external account of an enterprise connection (its callback required that it owns the
 * address) brings a covered address in.
 */
export async function assertSignUpStillAllowed(
  d: ServiceDeps,
  addresses: readonly string[],
  providers: readonly string[],
): Promise<void> {
  if (!(await d.services.enterpriseConnections.anyActive())) return
  let sso = false
  for (const provider of providers)
    if ((await d.services.enterpriseConnections.find(provider)) !== undefined) sso = true
  const owner = { emails: addresses.map((email_address) => ({ email_address })) }
  await assertCompletionAllowed(d, sso, null, owner)
}

/** Clerk's `supported_first_factors` of a sign-in: each enabled strategy's offer to this user. */
export async function supportedFirstFactors(
  d: ServiceDeps,
  signIn: SignInRow,
  found: UserWithEmails,
): Promise<SignInFactor[]> {
  const typed = signIn.identifier?.toLowerCase()
  const identifierEmailId = found.emails.find((e) => e.email_address === typed)?.id ?? null
  const enterpriseSso = await enterpriseSsoFor(d, typed, found)
  const subject = {
    user: found.user,
    emails: found.emails,
    identifierEmailId,
    passkeyCredentialIds: found.passkeys.flatMap((p) => p.credential_id ?? []),
    enterpriseSso,
  }
  const names = enterpriseSso ? ['enterprise_sso'] : await enabledFirstFactors(d)
  return names.flatMap((name) => strategyNamed(name)?.factors(subject) ?? [])
}

/**
 * The first factors of a sign-in with no user (an address no one has yet): `enterprise_sso`
 * when the address's domain has an active connection — clerk-js then redirects to the IdP —
 * else none.
 */
export async function identifierFirstFactors(
  d: ServiceDeps,
  signIn: SignInRow,
): Promise<SignInFactor[]> {
  return (await enterpriseSsoFor(d, signIn.identifier)) ? [{ strategy: 'enterprise_sso' }] : []
}

/**
 * The second factors a sign-in after `firstFactor` may use, in Clerk's order: the one rule of
 * verification/second-factor-rule.ts, which step-up uses too.
 */
export async function enabledSecondFactors(
  d: ServiceDeps,
  firstFactor: string | null,
): Promise<string[]> {
  const { second_factors } = await d.services.instance.settings()
  return allowedSecondFactors(second_factors, { signInFirstFactor: firstFactor })
}

/**
 * Clerk's `supported_second_factors`: what the user enrolled, and an email code to their
 * primary address when the operator allows it (see enabledSecondFactors).
 */
export async function supportedSecondFactors(
  d: ServiceDeps,
  found: UserWithEmails,
  identifier: string | null = null,
  firstFactor: string | null = null,
): Promise<SignInFactor[]> {
  const typed = identifier?.toLowerCase()
  const identifierEmailId = found.emails.find((e) => e.email_address === typed)?.id ?? null
  const subject = { user: found.user, emails: found.emails, identifierEmailId }
  return (await enabledSecondFactors(d, firstFactor)).flatMap(
    (name) => secondFactorNamed(name)?.secondFactors?.(subject) ?? [],
  )
}

/** Whether the user enrolled a second factor (TOTP, backup codes): MFA is on for them. */
export function mfaEnrolled(user: UserRow): boolean {
  return Number(user.totp_enabled) === 1 || Number(user.backup_code_enabled) === 1
}

/**
 * A user who enrolled MFA signs in with a second factor too (Clerk's `needs_second_factor`):
 * always one they enrolled, whatever the operator turned off since (enabledSecondFactors).
 */
export async function needsSecondFactor(_d: ServiceDeps, user: UserRow): Promise<boolean> {
  return mfaEnrolled(user)
}

/** The sign-in's user, refused if banned or locked by an operator (no factor gets past that). */
export async function signInUser(d: ServiceDeps, signIn: SignInRow): Promise<UserWithEmails> {
  const found = signIn.user_id ? await d.services.users.findWithEmails(signIn.user_id) : undefined
  if (!found) throw ApiError.of('form_identifier_not_found', { meta: { param_name: 'identifier' } })
  if (found.user.banned) throw ApiError.of('user_banned')
  return found
}

/** An operator's lock stops every factor; a password lockout stops only passwords. */
export function assertNotLocked(user: UserRow): void {
  if (fromDbBool(user.locked)) throw ApiError.of('user_locked')
}

/**
 * A verified first factor ends here: a session (the client under a fresh token, issue #13 §3),
 * or for a password reset the wait for the new password. An address a code or link reached is
 * proved: when it was unverified it is marked verified in the same group, with the user's
 * `user.updated` (an address already verified is left as it is: a sign-in alone changes nothing
 * an app syncs, docs/WEBHOOKS.md).
 */
export async function finishFirstFactor(
  d: ServiceDeps,
  signIn: SignInRow,
  user: UserRow,
  outcome: {
    provedEmailId: string | null
    needsNewPassword: boolean
    /** A passkey: possession and user verification at once, so no second factor is asked. */
    satisfiesSecondFactor?: boolean
  },
  device: Device,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  const { users } = d.services
  const now = d.clock.now()
  const proving = await newlyProved(d, user.id, outcome.provedEmailId)
  const proved = proving ? [users.emailVerifiedWrite(proving)] : []
  const changed = proving ? user.id : null
  const waits = outcome.needsNewPassword
    ? 'needs_new_password'
    : !outcome.satisfiesSecondFactor && (await needsSecondFactor(d, user))
      ? 'needs_second_factor'
      : null
  if (!waits) {
    const secondFactorAt = outcome.satisfiesSecondFactor ? now : null
    return completeSignIn(d, signIn, user, proved, device, secondFactorAt, changed)
  }
  // Not a session yet, but a step towards one: refused here too (completeSignIn decides again).
  await assertSignInStillAllowed(d, signIn, user)
  const patch = { status: waits, updated_at: now }
  await writeWithUserUpdated(d, [...proved, signInUpdate(signIn.id, patch)], changed)
  return { signIn: { ...signIn, ...patch } }
}

/** The address a first factor reached, when it is one of the user's and not verified yet. */
async function newlyProved(
  d: ServiceDeps,
  userId: string,
  emailId: string | null,
): Promise<string | null> {
  if (!emailId) return null
  const found = await d.services.users.findWithEmails(userId)
  const email = found?.emails.find((e) => e.id === emailId)
  return email && !fromDbBool(email.verified) ? email.id : null
}

/**
 * The sign-in completes: a session (the client under a fresh token, issue #13 §3), with the
 * writes that go with it (a proved address, a linked account, a second factor's record).
 * `secondFactorAt` stamps when a second factor was proved, for the token's `fva`. When `extra`
 * changes what the Backend API renders of the user, `changedUserId` names them: the group then
 * records their `user.updated` (user-events.ts `writeWithUserUpdated`).
 */
export async function completeSignIn(
  d: ServiceDeps,
  signIn: SignInRow,
  user: UserRow,
  extra: Write[],
  device: Device,
  secondFactorAt: number | null = null,
  changedUserId: string | null = null,
): Promise<{ signIn: SignInRow; newClientToken?: string }> {
  // Every sign-in's session is made here: the enterprise rule is decided again at this moment.
  await assertSignInStillAllowed(d, signIn, user)
  const { clients, sessions, users } = d.services
  const now = d.clock.now()
  const tasks = await sessions.tasksFor(user)
  const session = {
    ...sessions.newRow(user.id, signIn.client_id, device, tasks),
    second_factor_at: secondFactorAt,
  }
  // The user is named here too: a discoverable passkey sign-in, or one whose user a provider's
  // callback just found (issue #18), learns it only now.
  const patch = {
    status: 'complete',
    user_id: user.id,
    created_session_id: session.id,
    updated_at: now,
  }
  const owner = clients.rotated(signIn.client_id)
  await writeWithUserUpdated(
    d,
    [
      ...extra,
      ...sessions.insertWrites(session),
      signInUpdate(signIn.id, patch),
      owner.write({ last_active_session_id: session.id, sign_in_id: null }),
      users.signInStamp(user.id),
    ],
    changedUserId,
  )
  return { signIn: { ...signIn, ...patch }, newClientToken: owner.newToken }
}
