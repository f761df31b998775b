import { ApiError, newId } from '@latchkey/contracts'
import type { Database, UserRow, VerificationRow, Write } from '@latchkey/db'
import type { Kysely, Transaction } from 'kysely'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'
import { challengeRow } from './challenge.js'
import { type LinkOutcome, openEmailLink } from './email-link-open.js'
import { MAX_ATTEMPTS, VerificationSecrets } from './secrets.js'
import { secondFactorNamed, strategyNamed } from './strategies/index.js'
import type {
  AttemptInput,
  PrepareInput,
  VerificationSlot,
  VerificationStrategy,
  VerificationTarget,
} from './strategy.js'
import * as repo from './verifications.repository.js'
import { verificationUpsert } from './verifications.repository.js'

/** A resend of the same verification waits this long (Clerk's UI counts 30 s down). */
export const RESEND_COOLDOWN_MS = 30_000
/** Sends per address and per IP in an hour: enough for a person, too few to flood an inbox. */
const SENDS_PER_ADDRESS = 10
const SENDS_PER_IP = 30
const HOUR_MS = 3_600_000

/** The database, or the caller's transaction. */
type Q = Parameters<typeof repo.findByOwners>[0]

/**
 * The verification engine: prepares and attempts verifications for the sign-in, sign-up and
 * email-address flows through the strategy registry. What every strategy shares lives here —
 * the cooldown and send limits, expiry, atomic attempt counting, single use — and what each
 * proves lives in its own file (./strategies/).
 */
export class VerificationsService {
  private readonly d: ServiceDeps
  readonly secrets: VerificationSecrets

  constructor(deps: ServiceDeps) {
    this.d = deps
    this.secrets = new VerificationSecrets(deps.box)
  }

  /** The strategy of that name, or Clerk's 422 naming the parameter. */
  strategy(name: string, allowed: readonly string[]): VerificationStrategy {
    return this.#named(name, allowed.includes(name) ? strategyNamed(name) : undefined)
  }

  /** The second-factor strategy of that name, or Clerk's 422 naming the parameter. */
  secondFactorStrategy(name: string, allowed: readonly string[]): VerificationStrategy {
    return this.#named(name, allowed.includes(name) ? secondFactorNamed(name) : undefined)
  }

  #named(name: string, found: VerificationStrategy | undefined): VerificationStrategy {
    if (!found) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `Unsupported strategy ${name}.`,
        meta: { param_name: 'strategy' },
      })
    }
    return found
  }

  find(ownerId: string, slot: VerificationSlot): Promise<VerificationRow | undefined> {
    return repo.findVerification(this.d.db, ownerId, slot)
  }

  findByOwners(ownerIds: string[], q: Q = this.d.db): Promise<VerificationRow[]> {
    return repo.findByOwners(q, ownerIds)
  }

  /**
   * Prepares a verification: checks the cooldown and the send limits, then returns the writes
   * (the row and its mail) for the flow to write with its own, in one atomic group.
   */
  async prepare(
    strategy: VerificationStrategy,
    target: VerificationTarget,
    input: PrepareInput,
    device: Device,
  ): Promise<Write[]> {
    if (!strategy.prepare) return []
    if (strategy.silent)
      return [...(await strategy.prepare({ deps: this.d, device }, target, input)).writes]
    const previous = await this.find(target.ownerId, target.slot)
    const now = this.d.clock.now()
    if (
      previous?.sent_at &&
      previous.status === 'unverified' &&
      now - previous.sent_at < RESEND_COOLDOWN_MS
    ) {
      throw ApiError.of('too_many_requests', {
        longMessage: 'A code was just sent. Wait a little before asking for another.',
        meta: {
          retry_after_seconds: Math.ceil((previous.sent_at + RESEND_COOLDOWN_MS - now) / 1000),
        },
      })
    }
    await this.countSend(`verify-address|${target.emailAddress}`, SENDS_PER_ADDRESS)
    // Per-IP, like every per-IP limit, off with LATCHKEY_RATE_LIMIT=off (load tests: one IP
    // sends for thousands of sign-ups); the per-address limit protects each inbox regardless.
    if (this.d.config.rateLimit)
      await this.countSend(`verify-ip|${device.ipAddress ?? 'unknown'}`, SENDS_PER_IP)
    const prepared = await strategy.prepare({ deps: this.d, device }, target, input)
    return [...prepared.writes]
  }

  /**
   * Attempts the owner's verification in `slot` with the given strategy. For prepared
   * strategies the attempt is counted before the proof is compared, and the row is claimed
   * verified once (single use); the strategy only compares. Returns the verified row.
   */
  async attempt(
    strategy: VerificationStrategy,
    owner: { id: string; slot: VerificationSlot; clientId: string | undefined },
    user: UserRow | undefined,
    input: AttemptInput,
    device: Device,
  ): Promise<VerificationRow | undefined> {
    const ctx = { deps: this.d, device }
    if (!strategy.prepare) {
      await strategy.attempt(ctx, { row: undefined, user, clientId: owner.clientId }, input)
      return undefined
    }
    const row = await this.find(owner.id, owner.slot)
    if (!row || row.strategy !== strategy.name) throw ApiError.of('verification_missing')
    return this.attemptRow(strategy, row, user, owner.clientId, input, device)
  }

  /**
   * {@link attempt} on a row already found (an email link finds its row by token). `complete`
   * runs in one transaction with the claim of the row, so what the proof creates (a passkey's
   * credential) and the spending of its challenge happen together or not at all: when it
   * throws, the challenge stays unverified (the attempt still counts toward its limit).
   */
  async attemptRow(
    strategy: VerificationStrategy,
    row: VerificationRow,
    user: UserRow | undefined,
    clientId: string | undefined,
    input: AttemptInput,
    device: Device,
    complete?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<VerificationRow> {
    const now = this.d.clock.now()
    this.assertOpen(row, now)
    const attempts = await repo.countAttempt(this.d.db, row.id, now)
    if (attempts === undefined) {
      // Lost a race to the limit, to expiry or to another right answer: read what happened.
      const again = await this.find(row.owner_id, row.slot as VerificationSlot)
      this.assertOpen(again ?? row, now)
      throw ApiError.of('verification_failed')
    }
    try {
      await strategy.attempt({ deps: this.d, device }, { row, user, clientId }, input)
    } catch (error) {
      if (attempts >= MAX_ATTEMPTS) {
        await repo.markStatus(this.d.db, row.id, 'failed', now)
        throw ApiError.of('verification_failed', { cause: error })
      }
      throw error
    }
    const claim = async (q: Kysely<Database> | Transaction<Database>) => {
      if (!(await repo.claimVerified(q, row.id, now, clientId ?? null)))
        throw ApiError.of('verification_already_verified')
      await complete?.(q as Transaction<Database>)
    }
    if (complete) await this.d.db.transaction().execute(claim)
    else await claim(this.d.db)
    return { ...row, status: 'verified', attempts, verified_at: now, secret_hash: null }
  }

  /**
   * A verification proved in the call that records it (a second factor: nothing was sent, the
   * proof was the code itself), as a write of the caller's group: what the sign-in renders.
   */
  provedWrite(ownerId: string, slot: VerificationSlot, strategy: string): Write {
    const now = this.d.clock.now()
    return verificationUpsert({
      id: newId('verification'),
      owner_id: ownerId,
      slot,
      strategy,
      status: 'verified',
      secret_hash: null,
      attempts: 1,
      email_address: null,
      email_address_id: null,
      client_id: null,
      redirect_url: null,
      verified_at_client: null,
      sent_at: null,
      verified_at: now,
      expire_at: now,
      created_at: now,
      updated_at: now,
      nonce: null,
    })
  }

  /** Forgets an owner's verifications, as a write of the caller's group. */
  forgetWrite(ownerId: string): Write {
    return repo.ownerVerificationsDelete(ownerId)
  }

  /**
   * A WebAuthn challenge (`options.challenge`) as a verification of `ownerId` in `slot`, and the
   * write that stores it (replacing the owner's previous one there): see ./challenge.ts.
   */
  challenge(
    ownerId: string,
    slot: 'passkey' | 'first_factor',
    options: { challenge: string },
    clientId: string | null = null,
  ): { row: VerificationRow; write: Write } {
    const row = challengeRow(this.secrets, ownerId, slot, options, this.d.clock.now(), clientId)
    return { row, write: verificationUpsert(row) }
  }

  /**
   * Settles a verification a flow decided on after its attempt: `transferable` (Clerk: a proved
   * external account with no user yet, for a sign-up to take over) or `failed`.
   */
  async settle(id: string, status: 'transferable' | 'failed'): Promise<void> {
    await repo.markStatus(this.d.db, id, status, this.d.clock.now())
  }

  /** `GET /v1/verify?token=`: see ./email-link-open.ts. */
  openLink(token: string, clientId: string | undefined, device: Device): Promise<LinkOutcome> {
    return openEmailLink(this.d, token, clientId, device)
  }

  private assertOpen(row: VerificationRow, now: number): void {
    if (row.status === 'verified') throw ApiError.of('verification_already_verified')
    if (row.status === 'failed') throw ApiError.of('verification_failed')
    if (row.status === 'expired' || row.expire_at <= now) throw ApiError.of('verification_expired')
  }

  private async countSend(key: string, max: number): Promise<void> {
    const w = await this.d.services.rateLimits.hit(key, HOUR_MS)
    if (w.count > max) {
      throw ApiError.of('too_many_requests', { meta: { retry_after_seconds: w.retryAfterSeconds } })
    }
  }
}
