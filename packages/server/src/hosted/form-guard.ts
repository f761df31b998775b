import { createHmac } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { randomToken, safeEqual } from '../lib/crypto.js'

/** The hidden field every hosted form carries. */
export const FORM_TOKEN_FIELD = 'csrf_token'
const COOKIE_VALUE = /^[\w-]{43}$/
const ONE_YEAR_S = 365 * 24 * 3600

/** Why a form post was refused: another site sent it, or it lacks this browser's token. */
export type FormRefusal = 'cross_site' | 'token'

/**
 * Cross-site request forgery defence for the hosted forms (sign-in, sign-up, consent), as the
 * OWASP CSRF cheat sheet recommends: Fetch Metadata and `Origin` refuse what a browser says
 * another site sent, and a signed double-submit token refuses what no page of ours rendered
 * (browsers without Fetch Metadata, or ones that send neither header).
 *
 * The token is HMAC-SHA-256, under a key derived from the instance's encryption key, of a
 * random per-browser cookie and the form's action: only a page this server rendered for this
 * browser holds it, it is useless in another browser, and a sign-in form's token does not
 * submit a consent form. Over https the cookie is `__Host-` prefixed, so a sibling subdomain
 * cannot plant a cookie of its own choosing (cookie tossing).
 */
export class FormGuard {
  readonly #key: Uint8Array
  readonly #origin: string
  readonly #secure: boolean
  /** The per-browser cookie the tokens are bound to. */
  readonly cookie: string

  constructor(key: Uint8Array, publicUrl: string) {
    this.#key = key
    this.#origin = new URL(publicUrl).origin
    this.#secure = publicUrl.startsWith('https:')
    this.cookie = this.#secure ? '__Host-latchkey_csrf' : 'latchkey_csrf'
  }

  /** The token for a form posting to `action`; gives the browser its cookie if it has none. */
  token(req: FastifyRequest, reply: FastifyReply, action: string): string {
    let value = this.#cookieOf(req)
    if (!value) {
      value = randomToken()
      // Lax: sent when the user arrives from an app (a top-level GET), never on another site's
      // POST. A year: a form left open in a tab still submits.
      reply.setCookie(this.cookie, value, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: this.#secure,
        maxAge: ONE_YEAR_S,
      })
    }
    return this.#mac(value, action)
  }

  /** Whether a form post to `action` came from a page of ours in this browser. */
  check(req: FastifyRequest, action: string): FormRefusal | undefined {
    // Fetch Metadata: same-origin is our page; none is the user (address bar, reload).
    // same-site is refused too: a sibling subdomain is another application.
    const site = req.headers['sec-fetch-site']
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross_site'
    // Our pages send `Referrer-Policy: same-origin`, so their forms carry our Origin. `null`
    // is an opaque origin: a sandboxed frame, a data: or file: page, or a no-referrer page.
    const origin = req.headers.origin
    if (origin !== undefined && origin !== this.#origin) return 'cross_site'
    const value = this.#cookieOf(req)
    const body = req.body as Record<string, unknown> | undefined
    const sent = body?.[FORM_TOKEN_FIELD]
    if (!value || typeof sent !== 'string' || !safeEqual(sent, this.#mac(value, action)))
      return 'token'
    return undefined
  }

  #cookieOf(req: FastifyRequest): string | undefined {
    const value = req.cookies[this.cookie]
    return value && COOKIE_VALUE.test(value) ? value : undefined
  }

  #mac(value: string, action: string): string {
    return createHmac('sha256', this.#key).update(`${action}\n${value}`).digest('base64url')
  }
}
