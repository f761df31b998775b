import { ApiError, newId } from '@latchkey/contracts'
import type { SessionRow, SessionVerificationRow } from '@latchkey/db'
import { writeAtomically } from '@latchkey/db'
import type { ReverificationLevel } from '../instance/reverification-settings.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { assertNotLocked, needsSecondFactor } from '../sign-ins/sign-in-factors.js'
import type { UserWithEmails } from '../users/users.service.js'
import { countedAttempt } from '../verification/factor-attempts.js'
import { allowedSecondFactors } from '../verification/second-factor-rule.js'
import type { VerificationStrategy } from '../verification/strategy.js'
import { isRecent, reverificationRequired } from './reverification-policy.js'
import { sessionVerificationJSON } from './session-verification.render.js'
import { offeredFirstFactors, REVERIFY_FIRST_FACTORS } from './session-verification-factors.js'
import * as repo from './session-verifications.repository.js'

/** A step-up left open this long is forgotten (the prompt is asked anew). */
const VERIFICATION_TTL_MS = 60 * 60_000
/** Step-ups one session may start in an hour: each brings three more guesses. */
const STARTS_PER_SESSION = 20

/** A session verification and what it was done for: its session and the session's user. */
export type SessionVerificationState = {
  row: SessionVerificationRow
  session: SessionRow
  found: UserWithEmails
}

/**
 * Step-up (issue #17 item 4, Clerk's reverification): a signed-in user proves a factor again.
 * A session verification is one more owner of verifications (id `sver_…`), so the engine does
 * for it what it does for a sign-in: strategies from the registry, an email code's row with its
 * attempts and single use. Proved, the session's factor times move (`fva`), and the sensitive
 * actions that ask for a recent verification (./reverification-policy.ts) pass.
 */
export class SessionVerificationsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /**
   * `POST /v1/client/sessions/{id}/verify`: a new verification for the session, replacing any
   * before it. A user with no second factor asked for one proves the first (Clerk's fallback).
   */
  async start(
    sessionId: string,
    clientId: string,
    requested: ReverificationLevel,
  ): Promise<SessionVerificationState> {
    const session = await this.d.services.sessions.getUsable(sessionId, clientId)
    const found = await this.#user(session)
    const starts = await this.d.services.rateLimits.hit(`reverify-start|${session.id}`, 3_600_000)
    if (starts.count > STARTS_PER_SESSION) {
      throw ApiError.of('too_many_requests', {
        meta: { retry_after_seconds: starts.retryAfterSeconds },
      })
    }
    const level = (await needsSecondFactor(this.d, found.user)) ? requested : 'first_factor'
    const now = this.d.clock.now()
    const previous = await repo.findOfSession(this.d.db, session.id)
    const row: SessionVerificationRow = {
      id: newId('sessionVerification'),
      session_id: session.id,
      level,
      status: level === 'second_factor' ? 'needs_second_factor' : 'needs_first_factor',
      expire_at: now + VERIFICATION_TTL_MS,
      created_at: now,
      updated_at: now,
    }
    const forget = previous ? [this.d.services.verifications.forgetWrite(previous.id)] : []
    await writeAtomically(this.d.db, this.d.dialect, [
      ...forget,
      repo.sessionVerificationReplace(row),
    ])
    return { row, session, found }
  }

  /**
   * Before a sensitive account action: when the operator turned reverification on, the session
   * must have proved its factors recently, else Clerk's `session_reverification_required` and
   * nothing changes. Returns whether the policy applied (and so stands in for the current
   * password when changing it, as Clerk's UI then sends none).
   */
  async requireRecent(session: SessionRow): Promise<boolean> {
    const r = (await this.d.services.instance.settings()).reverification
    if (!r.enabled) return false
    const found = await this.#user(session)
    const secondFactor = await needsSecondFactor(this.d, found.user)
    if (!isRecent(r, session, secondFactor, this.d.clock.now())) throw reverificationRequired(r)
    return true
  }

  /**
   * That this session completed a step-up within the policy's window (not merely signed in
   * within it), else Clerk's reverification error. For the one action whose own proof a step-up
   * replaces: a password change without the current password.
   */
  async requireSteppedUp(session: SessionRow): Promise<true> {
    const r = (await this.d.services.instance.settings()).reverification
    const row = await repo.findOfSession(this.d.db, session.id)
    const now = this.d.clock.now()
    const done = row?.status === 'complete' && now - row.updated_at < r.max_age_minutes * 60_000
    if (!done) throw reverificationRequired(r)
    return true
  }

  /** The session's verification as it stands (what every step answers). */
  async current(sessionId: string, clientId: string): Promise<SessionVerificationState> {
    const session = await this.d.services.sessions.getUsable(sessionId, clientId)
    const row = await repo.findOfSession(this.d.db, session.id)
    if (!row || row.expire_at <= this.d.clock.now()) throw ApiError.of('verification_missing')
    return { row, session, found: await this.#user(session) }
  }

  /** `…/verify/prepare_first_factor`: sends an email code (a password has nothing to send). */
  async prepareFirstFactor(
    state: SessionVerificationState,
    input: { strategy: string; emailAddressId?: string | undefined },
    device: Device,
  ): Promise<void> {
    this.#assertWaiting(state, 'needs_first_factor')
    const strategy = await this.#firstFactorStrategy(input.strategy)
    if (!strategy.prepare) return
    const factor = offeredFirstFactors([strategy.name], state.found).find(
      (f) => input.emailAddressId === undefined || f.email_address_id === input.emailAddressId,
    )
    const email = state.found.emails.find((e) => e.id === factor?.email_address_id)
    if (!email) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'email_address_id must be one of the account’s email addresses.',
        meta: { param_name: 'email_address_id' },
      })
    }
    const target = {
      ownerId: state.row.id,
      slot: 'first_factor' as const,
      purpose: 'sign_in' as const,
      emailAddress: email.email_address,
      emailAddressId: email.id,
      clientId: state.session.client_id,
    }
    const { verifications } = this.d.services
    await writeAtomically(
      this.d.db,
      this.d.dialect,
      await verifications.prepare(strategy, target, {}, device),
    )
    this.d.services.mail.kick()
  }

  /**
   * `…/verify/attempt_first_factor`: the strategy checks the proof; proved, the session's first
   * factor time moves, and the verification completes or (multi_factor) asks for the second.
   */
  async attemptFirstFactor(
    state: SessionVerificationState,
    input: { strategy: string; password?: string | undefined; code?: string | undefined },
    device: Device,
  ): Promise<SessionVerificationState> {
    this.#assertWaiting(state, 'needs_first_factor')
    const strategy = await this.#firstFactorStrategy(input.strategy)
    if (offeredFirstFactors([strategy.name], state.found).length === 0)
      throw ApiError.of('strategy_for_user_invalid')
    if (strategy.name !== 'password') assertNotLocked(state.found.user)
    const owner = {
      id: state.row.id,
      slot: 'first_factor' as const,
      clientId: state.session.client_id,
    }
    const { verifications } = this.d.services
    if (strategy.prepare) {
      // The engine counts an email code's attempts on its row and makes it single use.
      await verifications.attempt(strategy, owner, state.found.user, input, device)
    } else {
      // A password is also limited on the account by its own checks (users/password-checks.ts).
      await countedAttempt(this.d, { owner: `${state.row.id}|first_factor` }, () =>
        verifications.attempt(strategy, owner, state.found.user, input, device),
      )
    }
    const now = this.d.clock.now()
    const next =
      state.row.level === 'multi_factor' && (await needsSecondFactor(this.d, state.found.user))
        ? 'needs_second_factor'
        : 'complete'
    const proved = strategy.prepare
      ? []
      : [verifications.provedWrite(state.row.id, 'first_factor', strategy.name)]
    await writeAtomically(this.d.db, this.d.dialect, [
      repo.sessionFactorStamp(state.session.id, { first_factor_at: now }),
      ...proved,
      repo.sessionVerificationAdvance(state.row.id, 'needs_first_factor', next, now),
    ])
    return this.#after(state, next, { first_factor_at: now })
  }

  /** `…/verify/prepare_second_factor`: `totp` and `backup_code` have nothing to send. */
  async prepareSecondFactor(
    state: SessionVerificationState,
    strategy: string | undefined,
  ): Promise<void> {
    this.#assertWaiting(state, 'needs_second_factor')
    if (strategy !== undefined) await this.#secondFactorStrategy(strategy)
  }

  /**
   * `…/verify/attempt_second_factor`: counted before the code is compared, per verification
   * (three wrong and it is spent) and on the account (verification/factor-attempts.ts); proved, the session's second-factor time moves and it completes.
   */
  async attemptSecondFactor(
    state: SessionVerificationState,
    input: { strategy: string; code?: string | undefined },
    device: Device,
  ): Promise<SessionVerificationState> {
    this.#assertWaiting(state, 'needs_second_factor')
    const { verifications } = this.d.services
    const strategy = await this.#secondFactorStrategy(input.strategy)
    const subject = { ...state.found, identifierEmailId: null }
    if ((strategy.secondFactors?.(subject) ?? []).length === 0)
      throw ApiError.of('strategy_for_user_invalid')
    assertNotLocked(state.found.user)
    const counted = {
      owner: `${state.row.id}|second_factor`,
      secondFactorOf: { user: state.found.user, clientId: state.session.client_id },
    }
    await countedAttempt(this.d, counted, () =>
      strategy.attempt(
        { deps: this.d, device },
        { row: undefined, user: state.found.user, clientId: state.session.client_id },
        { code: input.code },
      ),
    )
    const now = this.d.clock.now()
    await writeAtomically(this.d.db, this.d.dialect, [
      repo.sessionFactorStamp(state.session.id, { second_factor_at: now }),
      verifications.provedWrite(state.row.id, 'second_factor', strategy.name),
      repo.sessionVerificationAdvance(state.row.id, 'needs_second_factor', 'complete', now),
    ])
    return this.#after(state, 'complete', { second_factor_at: now })
  }

  /** Clerk's `session_reverification` object, with the session as `origin` sees it. */
  render(state: SessionVerificationState, origin: string | undefined) {
    return sessionVerificationJSON(this.d, state, origin)
  }

  /** What the one rule allows a step-up (verification/second-factor-rule.ts), as at sign-in. */
  async #secondFactorStrategy(name: string): Promise<VerificationStrategy> {
    const { second_factors } = await this.d.services.instance.settings()
    const allowed = allowedSecondFactors(second_factors, 'step_up')
    return this.d.services.verifications.secondFactorStrategy(name, allowed)
  }

  async #firstFactorStrategy(name: string): Promise<VerificationStrategy> {
    const { first_factors } = await this.d.services.instance.settings()
    const enabled = REVERIFY_FIRST_FACTORS.filter((f) => first_factors[f])
    return this.d.services.verifications.strategy(name, enabled)
  }

  #assertWaiting(state: SessionVerificationState, status: string): void {
    if (state.row.status === status) return
    throw ApiError.of(
      state.row.status === 'complete' ? 'verification_already_verified' : 'verification_missing',
    )
  }

  #after(
    state: SessionVerificationState,
    status: string,
    stamp: Partial<SessionRow>,
  ): SessionVerificationState {
    const now = this.d.clock.now()
    return {
      ...state,
      row: { ...state.row, status, updated_at: now },
      session: { ...state.session, ...stamp },
    }
  }

  async #user(session: SessionRow): Promise<UserWithEmails> {
    const found = await this.d.services.users.findWithEmails(session.user_id)
    if (!found) throw ApiError.of('signed_out')
    if (found.user.banned) throw ApiError.of('user_banned')
    return found
  }
}
