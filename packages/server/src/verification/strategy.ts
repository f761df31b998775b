import type { UserRow, VerificationRow, Write } from '@latchkey/db'
import type { MailPurpose } from '../mail/mail-message.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Device } from '../sessions/sessions.service.js'

/** Where a verification sits on its owner (Clerk's `first_factor_verification`, `verifications.email_address`). */
export type VerificationSlot = 'first_factor' | 'second_factor' | 'email_address' | 'passkey'

/** What a verification proves ownership of, and for which flow. */
export type VerificationTarget = {
  /** The sign-in, sign-up or email address the verification belongs to. */
  ownerId: string
  slot: VerificationSlot
  purpose: MailPurpose
  emailAddress: string
  emailAddressId: string | null
  /** The client (browser) that asked: a link completes only there. */
  clientId: string | null
  /** The user the flow is for, when it is known (a sign-in after its identifier). */
  userId?: string | null | undefined
}

export type StrategyContext = {
  readonly deps: ServiceDeps
  readonly device: Device
}

export type PrepareInput = {
  /** Where an email link sends the browser once it is opened (an allowed origin). */
  redirectUrl?: string | undefined
  /** `oauth_*`: where the browser goes once the sign-in completes with no further step. */
  actionCompleteRedirectUrl?: string | undefined
  /** `oauth_*`: the app's proxy of the Frontend API the flow started through (its cookie's). */
  proxyUrl?: string | undefined
}

export type AttemptInput = {
  code?: string | undefined
  password?: string | undefined
  /** The link token, for `email_link` (from `GET /v1/verify`). */
  token?: string | undefined
  /** A WebAuthn credential as JSON (Clerk's `public_key_credential`), for `passkey`. */
  publicKeyCredential?: string | undefined
  /** The provider's redirect to `/v1/oauth_callback`, for `oauth_*`. */
  callbackUrl?: URL | undefined
}

/** A prepared verification: its row and the writes that deliver its secret, not yet written. */
export type Prepared = { row: VerificationRow; writes: Write[] }

/** One entry of a sign-in's `supported_first_factors` (Clerk's `SignInFactor`). */
export type SignInFactor = {
  strategy: string
  safe_identifier?: string
  email_address_id?: string
  primary?: boolean
}

/** A user as a strategy sees it when offering factors. */
export type FactorSubject = {
  user: UserRow
  emails: { id: string; email_address: string; verified: number }[]
  /** The address the sign-in was started with, if it was one. */
  identifierEmailId: string | null
  /** The user's verified passkeys' credential ids (absent: not known to this caller). */
  passkeyCredentialIds?: readonly string[] | undefined
  /** The sign-in's identifier is an address an active enterprise connection's domain covers. */
  enterpriseSso?: boolean | undefined
}

/**
 * One way of proving something, in one file under ./strategies/ and registered by name in
 * ./strategies/index.ts. The engine (verifications.service.ts) owns what every strategy shares —
 * rows, expiry, attempt counting, single use, send limits — so a strategy only says what it
 * sends and what it accepts. Adding one never edits another.
 */
export interface VerificationStrategy {
  readonly name: string
  /** What a verified first factor leads to in a sign-in (default: a session). */
  readonly signInOutcome?: 'needs_new_password'
  /**
   * Proves possession and the user's presence at once (a passkey, Clerk's
   * `passkey_settings.satisfies_second_factor`): a sign-in it completes asks no second factor.
   */
  readonly satisfiesSecondFactor?: true
  /** Its prepare delivers nothing (a passkey's challenge): no resend cooldown, no send limits. */
  readonly silent?: true
  /** The factors it offers this user in a sign-in (`supported_first_factors`). */
  factors(subject: FactorSubject): SignInFactor[]
  /** The second factors it offers this user (`supported_second_factors`); absent: none. */
  secondFactors?(subject: FactorSubject): SignInFactor[]
  /** Builds the verification and what delivers its secret. Absent: nothing to prepare (password). */
  prepare?(ctx: StrategyContext, target: VerificationTarget, input: PrepareInput): Promise<Prepared>
  /**
   * Whether the attempt proves it. For prepared strategies the engine has already counted the
   * attempt and checked the row is unverified and unexpired; `row` is that row. Throws Clerk's
   * error when the proof is wrong.
   */
  attempt(
    ctx: StrategyContext,
    subject: {
      row: VerificationRow | undefined
      user: UserRow | undefined
      clientId: string | undefined
    },
    input: AttemptInput,
  ): Promise<void>
}
