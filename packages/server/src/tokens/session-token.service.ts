import { ApiError, randomBase62 } from '@latchkey/contracts'
import type { SessionRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { factorAges } from '../sessions/factor-ages.js'
import { effectiveStatus } from '../sessions/sessions.mapper.js'
import { claimsContext } from '../templates/claims-context.js'
import { MAX_CLAIMS_BYTES } from '../templates/jwt-templates.service.js'
import { type Json, renderClaims } from '../templates/shortcodes.js'
import { RecentTokens } from './recent-tokens.js'

/** A session token lives 60 seconds (Clerk's default); `nbf` allows 5 s of clock skew. */
export const SESSION_TOKEN_TTL_SECONDS = 60
const NBF_SKEW_SECONDS = 5

/**
 * How old a token may be and still be shown again as a session's `last_active_token`. Clerk's
 * SDKs put that token into their token cache. clerk-js 5 counts the token's 60 s from the moment
 * it receives it (not from `iat`) and stops using it 15 s before that end, so a token handed out
 * `age` s old still has `15 - age` s to live when last used: at 10 s, 5 s before any verifier's
 * clock-skew allowance. clerk-js 6 reads `exp` itself and renews 17 s before it.
 */
export const LAST_ACTIVE_TOKEN_MAX_AGE_MS = 10_000

type Claims = { [key: string]: Json }

/**
 * Builds and signs session tokens in Clerk's v2 format (DESIGN.md §2): `azp exp iat iss jti nbf
 * sid sub v fva sts`.
 */
export class SessionTokenService {
  private readonly d: ServiceDeps
  readonly #recent = new RecentTokens(LAST_ACTIVE_TOKEN_MAX_AGE_MS)

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** A fresh token for a session (the Backend API's, or any caller that needs a new one). */
  async mint(
    session: SessionRow,
    origin: string | undefined,
    ttlSeconds = SESSION_TOKEN_TTL_SECONDS,
  ): Promise<string> {
    return this.#sign(await this.#stableClaims(session, origin), session, ttlSeconds)
  }

  /**
   * A fresh token for the Frontend API's `POST …/tokens`: remembered, so the client renderings
   * that follow within seconds show it as `last_active_token` instead of signing another.
   */
  async mintForClient(session: SessionRow, origin: string | undefined): Promise<string> {
    const claims = await this.#stableClaims(session, origin)
    const jwt = this.#sign(claims, session, SESSION_TOKEN_TTL_SECONDS)
    const fingerprint = JSON.stringify([claims, session.first_factor_at, session.second_factor_at])
    this.#recent.remember(session.id, origin, fingerprint, jwt, this.d.clock.now())
    return jwt
  }

  /**
   * The session's `last_active_token` for a rendering of its client: a token minted for this
   * session and origin in the last {@link LAST_ACTIVE_TOKEN_MAX_AGE_MS} over exactly the claims a
   * new one would carry, else a new one. The caller renders only active sessions, to their own
   * client, for an allowed origin (or none).
   */
  async lastActive(session: SessionRow, origin: string | undefined): Promise<string> {
    const claims = await this.#stableClaims(session, origin)
    // A step-up changes `fva`: a token from before it must not be shown again.
    const fingerprint = JSON.stringify([claims, session.first_factor_at, session.second_factor_at])
    const now = this.d.clock.now()
    const cached = this.#recent.find(session.id, origin, fingerprint, now)
    if (cached) return cached
    const jwt = this.#sign(claims, session, SESSION_TOKEN_TTL_SECONDS)
    this.#recent.remember(session.id, origin, fingerprint, jwt, now)
    return jwt
  }

  /**
   * What a token for `session` would carry if the instance's custom claims were `custom`: the
   * payload, unsigned and unrecorded (the dashboard's live preview of unsaved claims). Its own
   * `jti`, and no `azp` (no browser asked for it).
   */
  async preview(session: SessionRow, custom: Claims): Promise<Claims> {
    return this.#payload(await this.#stableClaims(session, undefined, custom), session)
  }

  /** Every claim that does not depend on the moment of signing. */
  async #stableClaims(
    session: SessionRow,
    origin: string | undefined,
    claims?: Claims,
  ): Promise<Claims> {
    const custom = claims ?? (await this.d.services.instance.settings()).session_token_claims
    const extra = Object.keys(custom).length > 0 ? await this.renderFor(session, custom) : {}
    return {
      ...extra,
      ...(origin ? { azp: origin } : {}),
      iss: this.d.config.url,
      sid: session.id,
      // Clerk's rule: a pending session's token says so, and Clerk's SDKs then treat the
      // request as signed out (`treatPendingAsSignedOut`, on by default).
      sts: effectiveStatus(session, this.d.clock.now()) === 'pending' ? 'pending' : 'active',
      sub: session.user_id,
      v: 2,
    }
  }

  #sign(claims: Claims, session: SessionRow, ttlSeconds: number): string {
    return this.d.services.keys.sign(this.#payload(claims, session, ttlSeconds))
  }

  /** The claims with those of the moment of signing. */
  #payload(claims: Claims, session: SessionRow, ttlSeconds = SESSION_TOKEN_TTL_SECONDS): Claims {
    const nowMs = this.d.clock.now()
    const iat = Math.floor(nowMs / 1000)
    // fva: minutes since the first and second factor were verified; -1 = no second factor.
    const fva = factorAges(session, nowMs)
    return {
      ...claims,
      exp: iat + ttlSeconds,
      fva,
      iat,
      jti: randomBase62(20),
      nbf: iat - NBF_SKEW_SECONDS,
    }
  }

  /**
   * Renders custom claims for a session's user, refusing results over {@link MAX_CLAIMS_BYTES}.
   */
  async renderFor(session: SessionRow, template: Claims): Promise<Claims> {
    const { user, emails } = await this.d.services.users.withEmails(session.user_id)
    const rendered = renderClaims(template, claimsContext(user, emails, session, this.d.config.url))
    if (JSON.stringify(rendered).length > MAX_CLAIMS_BYTES) {
      throw ApiError.of('token_too_large', {
        longMessage: `The rendered claims exceed ${MAX_CLAIMS_BYTES} bytes; shrink the template or the metadata it reads.`,
      })
    }
    return rendered
  }
}
