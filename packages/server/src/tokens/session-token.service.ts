import { ApiError, randomBase62 } from '@latchkey/contracts'
import type { SessionRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'
import { claimsContext } from '../templates/claims-context.js'
import { MAX_CLAIMS_BYTES } from '../templates/jwt-templates.service.js'
import { type Json, renderClaims } from '../templates/shortcodes.js'

/** A session token lives 60 seconds (Clerk's default); `nbf` allows 5 s of clock skew. */
export const SESSION_TOKEN_TTL_SECONDS = 60
const NBF_SKEW_SECONDS = 5

/**
 * Builds and signs session tokens in Clerk's v2 format (DESIGN.md §2): `azp exp iat iss jti nbf
 * sid sub v fva sts`.
 */
export class SessionTokenService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  async mint(
    session: SessionRow,
    origin: string | undefined,
    ttlSeconds = SESSION_TOKEN_TTL_SECONDS,
  ): Promise<string> {
    const nowMs = this.d.clock.now()
    const iat = Math.floor(nowMs / 1000)
    // fva: minutes since the first and second factor were verified; -1 = no second factor.
    const fva = [Math.max(0, Math.floor((nowMs - session.created_at) / 60_000)), -1]
    const custom = (await this.d.services.instance.settings()).session_token_claims
    const extra = Object.keys(custom).length > 0 ? await this.renderFor(session, custom) : {}
    return this.d.services.keys.sign({
      ...extra,
      ...(origin ? { azp: origin } : {}),
      exp: iat + ttlSeconds,
      fva,
      iat,
      iss: this.d.config.url,
      jti: randomBase62(20),
      nbf: iat - NBF_SKEW_SECONDS,
      sid: session.id,
      sts: 'active',
      sub: session.user_id,
      v: 2,
    })
  }

  /**
   * Renders custom claims for a session's user, refusing results over {@link MAX_CLAIMS_BYTES}.
   */
  async renderFor(
    session: SessionRow,
    template: { [key: string]: Json },
  ): Promise<{ [key: string]: Json }> {
    const { user, emails } = await this.d.services.users.withEmails(session.user_id)
    const rendered = renderClaims(template, claimsContext(user, emails, session))
    if (JSON.stringify(rendered).length > MAX_CLAIMS_BYTES) {
      throw ApiError.of('token_too_large', {
        longMessage: `The rendered claims exceed ${MAX_CLAIMS_BYTES} bytes; shrink the template or the metadata it reads.`,
      })
    }
    return rendered
  }
}
