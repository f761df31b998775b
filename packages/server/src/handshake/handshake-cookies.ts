import { createHash } from 'node:crypto'

/** Clerk's cookie names on the app's domain (`@clerk/backend` constants.Cookies). */
export const SESSION_COOKIE = '__session'
export const CLIENT_UAT_COOKIE = '__client_uat'
/** Clerk's development-instance cookie, which `@clerk/backend` requires on a `pk_test_` key. */
export const DEV_BROWSER_COOKIE = '__clerk_db_jwt'
const ONE_YEAR_S = 365 * 24 * 3600

/**
 * The suffix Clerk's SDKs append to cookie names to keep apps on one domain apart
 * (`@clerk/shared` keys `getCookieSuffix`): the first 8 characters of base64url(SHA-1(pk)).
 */
export function cookieSuffix(publishableKey: string): string {
  return createHash('sha1').update(publishableKey).digest('base64url').slice(0, 8)
}

/** What a handshake sets on the app's domain. */
export type HandshakeCookies = {
  /** The session token, or null to clear `__session` (signed out). */
  sessionToken: string | null
  /** `__client_uat`: seconds of the client's last change while signed in, 0 when signed out. */
  clientUat: number
  /** The app's origin: cookies are `Secure` when it is https. */
  origin: string
  /** Suffixes to set beside the plain names (the app asked for `suffixed_cookies`). */
  suffixes: readonly string[]
  /** `__clerk_db_jwt` to set, for an app on a development key; null for none. */
  devBrowser: string | null
}

/**
 * The `Set-Cookie` values a handshake hands to the app's server, which sets them verbatim
 * (`@clerk/backend` resolveHandshake). They carry no `Domain`: each lands host-only on the host
 * that served the app's page, and no sibling subdomain reads it. Neither is HttpOnly, as in Clerk:
 * clerk-js reads and renews both from the page.
 */
export function handshakeDirectives(c: HandshakeCookies): string[] {
  const secure = c.origin.startsWith('https:') ? '; Secure' : ''
  const names = ['', ...c.suffixes.map((s) => `_${s}`)]
  const out: string[] = []
  for (const suffix of names) {
    out.push(
      c.sessionToken
        ? `${SESSION_COOKIE}${suffix}=${c.sessionToken}; Path=/; SameSite=Lax${secure}`
        : `${SESSION_COOKIE}${suffix}=; Path=/; Max-Age=0; SameSite=Lax${secure}`,
    )
    out.push(
      `${CLIENT_UAT_COOKIE}${suffix}=${c.clientUat}; Path=/; Max-Age=${ONE_YEAR_S}; SameSite=Lax${secure}`,
    )
    if (c.devBrowser)
      out.push(
        `${DEV_BROWSER_COOKIE}${suffix}=${c.devBrowser}; Path=/; Max-Age=${ONE_YEAR_S}; SameSite=Lax${secure}`,
      )
  }
  return out
}

/**
 * `__client_uat` as Clerk computes it from a client (clerk-js `clientUat.set`): the second of the
 * client's last change while it holds a signed-in session, else 0. `@clerk/backend` asks for a
 * handshake when a session token was issued before it, so a sign-in or sign-out elsewhere is seen.
 */
export function clientUatOf(client: { updated_at: number } | undefined, signedIn: boolean): number {
  return client && signedIn ? Math.floor(client.updated_at / 1000) : 0
}
