import { randomBase62 } from '@latchkey/contracts'
import type { SessionRow } from '@latchkey/db'
import type { ServiceDeps } from '../service-deps.js'

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
    return this.d.services.keys.sign({
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
}
