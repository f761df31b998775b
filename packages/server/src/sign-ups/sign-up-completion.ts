import {
  type ExternalAccountRow,
  fromDbJson,
  type SignUpRow,
  type Write,
  writeAtomically,
} from '@latchkey/db'
import type { PasswordHasher } from '../lib/passwords.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertSignUpStillAllowed } from '../sign-ins/sign-in-factors.js'
import { userEvent } from '../users/user-events.js'
import type { PreparedUser } from '../users/users.service.js'
import * as repo from './sign-ups.repository.js'
import type { SignUpResult } from './sign-ups.service.js'

/**
 * Completes a sign-up: the user (stamped as signed in), its email, the session, the client under
 * a fresh token (issue #13 §3) and the sign-up, as one atomic group. `prepared` is the user of a
 * sign-up that needed no proof (its address unverified); without it the user is built from the
 * pending sign-up, whose address a verification has just proved.
 */
export async function completeSignUp(
  d: ServiceDeps,
  row: SignUpRow,
  prepared: PreparedUser | undefined,
  clientId: string | undefined,
  device: Device,
  /** Rows that come with the user (an external account, issue #18). */
  extra: Write[] = [],
  /** The external accounts `extra` inserts, for the user's `user.created` event. */
  externalAccounts: ExternalAccountRow[] = [],
  /** The sign-up row is stored already (defaults to: no `prepared`, a pending sign-up). */
  stored: boolean = prepared === undefined,
): Promise<SignUpResult> {
  const { clients, sessions, users } = d.services
  const pending = stored
  const p = prepared ?? (await provedUser(d, row))
  const now = d.clock.now()
  const user = { ...p.user, last_sign_in_at: now, last_active_at: now }
  // A sign-up a provider started and left short (issue #18): its account comes with the user.
  const flow =
    prepared === undefined ? await d.services.externalAccounts.answeredFlowOf(row.id) : undefined
  if (flow) {
    const accounts = d.services.externalAccounts
    const account = accounts.accountRow(user.id, flow.flow.provider, flow.claims)
    extra = [...extra, accounts.accountInsertWrite(account), accounts.spentWrite(flow.flow.id)]
    externalAccounts = [...externalAccounts, account]
  }
  // The enterprise rule again, as the user is about to exist: a sign-up begun before its
  // address's domain got an active connection finishes through the IdP only.
  await assertSignUpStillAllowed(
    d,
    p.emails.map((e) => e.email_address),
    externalAccounts.map((a) => a.provider),
  )
  const owner = clients.owner(pending ? row.client_id : clientId, { rotate: true })
  const session = sessions.newRow(user.id, owner.id, device, await sessions.tasksFor(user))
  const done: SignUpRow = {
    ...row,
    client_id: owner.id,
    status: 'complete',
    created_user_id: user.id,
    created_session_id: session.id,
    password_digest: null,
    password_hasher: null,
    updated_at: now,
  }
  try {
    const writes = await users.insertWrites({ ...p, user })
    const created = users.preparedRows({ ...p, user }, externalAccounts)
    await writeAtomically(d.db, d.dialect, [
      ...writes,
      ...extra,
      userEvent(d, 'user.created', created),
      // The client keeps its completed sign-up (Clerk's `client.sign_up`, status `complete`):
      // clerk-js reads it there after the fact, e.g. Clerk's UI guards its verify-email route on
      // `client.signUp.emailAddress`, and a tab whose link was opened in another tab blanks
      // without it; the next sign-up replaces it, signing out clears it.
      owner.write({ last_active_session_id: session.id, sign_up_id: done.id }),
      ...sessions.insertWrites(session),
      pending ? repo.signUpComplete(done) : repo.signUpInsert(done),
    ])
  } catch (error) {
    throw users.identifierRace(error)
  }
  return {
    signUp: done,
    clientId: owner.id,
    ...(owner.newToken ? { newClientToken: owner.newToken } : {}),
  }
}

/** The user a pending sign-up asked for, its address now proved (so stored verified). */
function provedUser(d: ServiceDeps, row: SignUpRow): Promise<PreparedUser> {
  return d.services.users.prepare({
    emailAddress: row.email_address ? [row.email_address] : [],
    emailsVerified: true,
    ...(row.password_digest && row.password_hasher
      ? {
          passwordDigest: row.password_digest,
          passwordHasher: row.password_hasher as PasswordHasher,
        }
      : {}),
    username: row.username ?? undefined,
    firstName: row.first_name,
    lastName: row.last_name,
    unsafeMetadata: fromDbJson(row.unsafe_metadata),
  })
}
