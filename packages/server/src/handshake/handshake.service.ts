import { ApiError } from '@latchkey/contracts'
import type { ClientRow, SessionRow } from '@latchkey/db'
import { randomToken, sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import * as repo from './handshake.repository.js'
import { clientUatOf, cookieSuffix, handshakeDirectives } from './handshake-cookies.js'

/** A nonce is redeemed within a second of the redirect; a minute allows a slow network. */
export const HANDSHAKE_NONCE_TTL_MS = 60_000
/** A handshake token is read at once too; `exp` bounds it for verifiers that check one. */
const HANDSHAKE_TOKEN_TTL_S = 60

/** Query parameters Clerk's server SDKs put on `/v1/client/handshake` (what Latchkey reads). */
export type HandshakeRequest = {
  redirectUrl: string
  /** `nonce` (what `@clerk/backend` 3 asks for) or `token` (older SDKs; the spec's default). */
  format: 'nonce' | 'token'
  suffixedCookies: boolean
  /**
   * The app's `__clerk_db_jwt`, or `'new'` when it has none and asked for one
   * (`__clerk_hs_reason=dev-browser-missing`): an app on a development (`pk_test_`) key.
   */
  devBrowser: string | 'new' | undefined
}

/**
 * Clerk's handshake: an app's server that cannot tell from its cookies whether the browser is
 * signed in (no `__session`, an expired one, `__client_uat` newer than it) sends the browser here.
 * The Frontend API reads the browser's `__client` cookie, which only it can see, and sends the
 * browser back to the app with what it proved about that client: a one-time nonce the app's
 * server redeems through the Backend API, or a signed token carrying the cookies.
 */
export class HandshakeService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  /** Where to send the browser back: `redirect_url` with the nonce or token added. */
  async begin(clientToken: string | undefined, req: HandshakeRequest): Promise<string> {
    const back = await this.#allowedRedirect(req.redirectUrl)
    const client = clientToken ? await this.d.services.clients.resolve(clientToken) : undefined
    const session = client ? await this.#activeSession(client) : undefined
    const clientUat = clientUatOf(client, session !== undefined)
    back.searchParams.delete('__clerk_handshake')
    back.searchParams.delete('__clerk_handshake_nonce')
    // Opaque, like Clerk's: @clerk/backend only checks that one is there, and it opens nothing.
    const devBrowser =
      req.devBrowser === 'new' ? `dvb_${randomToken(24)}` : (req.devBrowser ?? null)
    if (req.format === 'token') {
      const directives = await this.#directives(session, {
        origin: back.origin,
        clientUat,
        suffixed: req.suffixedCookies,
        devBrowser,
      })
      const iat = Math.floor(this.d.clock.now() / 1000)
      // No `sub`, `sid` or `iss`: no session-token check accepts this as a session.
      const jwt = this.d.services.keys.sign({
        handshake: directives,
        iat,
        exp: iat + HANDSHAKE_TOKEN_TTL_S,
      })
      back.searchParams.set('__clerk_handshake', jwt)
      return back.href
    }
    const nonce = randomToken(32)
    const now = this.d.clock.now()
    await repo.insertNonce(
      this.d.db,
      {
        nonce_hash: sha256(nonce),
        // A browser without a client still gets a nonce: it says "signed out".
        client_id: client?.id ?? '',
        session_id: session?.id ?? null,
        origin: back.origin,
        client_uat: clientUat,
        suffixed_cookies: req.suffixedCookies ? 1 : 0,
        dev_browser: devBrowser,
        expires_at: now + HANDSHAKE_NONCE_TTL_MS,
      },
      now,
    )
    back.searchParams.set('__clerk_handshake_nonce', nonce)
    return back.href
  }

  /**
   * `GET /v1/clients/handshake_payload` (Backend API): the cookies a nonce stands for, once. The
   * session token is minted now, for the app origin the browser was sent back to; a session that
   * ended since the handshake yields signed-out cookies.
   */
  async redeem(nonce: string): Promise<string[]> {
    const row = await repo.takeNonce(this.d.db, sha256(nonce), this.d.clock.now())
    if (!row)
      throw ApiError.of('resource_not_found', {
        longMessage: 'This handshake nonce is unknown, was already used or has expired.',
        meta: { param_name: 'nonce' },
      })
    const session = row.session_id ? await this.#usable(row.session_id, row.client_id) : undefined
    return this.#directives(session, {
      origin: row.origin,
      clientUat: session ? row.client_uat : 0,
      suffixed: row.suffixed_cookies === 1,
      devBrowser: row.dev_browser,
    })
  }

  async #directives(
    session: SessionRow | undefined,
    c: { origin: string; clientUat: number; suffixed: boolean; devBrowser: string | null },
  ): Promise<string[]> {
    const sessionToken = session
      ? await this.d.services.sessions.mintToken(session.id, { origin: c.origin })
      : null
    return handshakeDirectives({
      sessionToken,
      clientUat: c.clientUat,
      origin: c.origin,
      suffixes: c.suffixed ? this.#suffixes() : [],
      devBrowser: c.devBrowser,
    })
  }

  /** The client's active session, if it can still be used. */
  async #activeSession(client: ClientRow): Promise<SessionRow | undefined> {
    const id = client.last_active_session_id
    return id ? this.#usable(id, client.id) : undefined
  }

  /** The session if it is still usable (active, of this client); undefined if it ended. */
  #usable(id: string, clientId: string): Promise<SessionRow | undefined> {
    return this.d.services.sessions.getUsable(id, clientId).catch((error: unknown) => {
      if (error instanceof ApiError) return undefined
      throw error
    })
  }

  /**
   * `redirect_url` must be an http(s) URL on an allowed origin (or Latchkey's own): the browser
   * goes there with a credential, so an open redirect here would hand it to any site.
   */
  async #allowedRedirect(raw: string): Promise<URL> {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw redirectInvalid('redirect_url must be an absolute URL.')
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw redirectInvalid('redirect_url must be an http or https URL.')
    if (url.username || url.password)
      throw redirectInvalid('redirect_url must not carry credentials.')
    if (!(await this.d.services.instance.isAllowedOrigin(url.origin)))
      throw redirectInvalid(
        `${url.origin} is not an allowed origin. Add it to LATCHKEY_ALLOWED_ORIGINS.`,
      )
    return url
  }

  /** Cookie suffixes of this instance's publishable keys (an app may use either kind). */
  #suffixes(): string[] {
    const live = this.d.services.instance.publishableKey()
    const test = live.replace(/^pk_live_/, 'pk_test_')
    return [...new Set([cookieSuffix(live), cookieSuffix(test)])]
  }
}

function redirectInvalid(longMessage: string): ApiError {
  return ApiError.of('form_param_value_invalid', {
    longMessage,
    meta: { param_name: 'redirect_url' },
  })
}
