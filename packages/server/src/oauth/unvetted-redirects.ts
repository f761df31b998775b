import type Provider from 'oidc-provider'
import type { errors, KoaContextWithOIDC } from 'oidc-provider'

/*
 * An application nobody vetted (dynamically registered) must not turn Latchkey into an open
 * redirector. oidc-provider sends authorization errors (invalid_scope, a missing PKCE challenge,
 * login_required for prompt=none, …) straight to the client's redirect URI, so a link to
 * /oauth/authorize with a bad parameter would bounce a user from Latchkey's address to whatever
 * URI the registrant chose, without the user doing anything (RFC 9700 §4.11.2, RFC 6749 §10.15).
 * For those clients the error stops on a Latchkey page that names where it leads; the user
 * clicks to go on. A refusal the user made themselves (deny on the consent screen) still
 * returns at once. Errors of applications created through the Backend API redirect as usual.
 */

/** How the error would have reached the client: the response mode and its parameters. */
export type HeldRedirect =
  | { method: 'GET'; url: string }
  | { method: 'POST'; action: string; fields: Record<string, string> }

type Held = { redirectUri: string; mode: 'query' | 'fragment' | 'form_post' }

const HELD = new WeakMap<object, Held>()
const MODES = new Set(['query', 'fragment', 'form_post'])
const AUTHORIZATION_ROUTES = new Set(['authorization', 'resume'])

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined)

function hold(ctx: KoaContextWithOIDC, err: Error): void {
  const e = err as Partial<errors.OIDCProviderError>
  const oidc = ctx.oidc
  if (!oidc || !AUTHORIZATION_ROUTES.has(String(oidc.route)) || e.allow_redirect !== true) return
  const client = oidc.client
  if (client?.metadata().latchkey_dynamically_registered !== true) return
  if (oidc.route === 'resume' && e.error === 'access_denied') return
  // The parameters oidc-provider's authorization error handler reads, in the same order.
  const params = (oidc.params ?? (ctx.method === 'POST' ? oidc.body : ctx.query) ?? {}) as Record<
    string,
    unknown
  >
  const redirectUri = str(params.redirect_uri)
  if (!redirectUri || !client.redirectUriAllowed(redirectUri)) return
  const asked = str(params.response_mode)
  const mode = (
    asked && MODES.has(asked)
      ? asked
      : ['code', 'none', undefined].includes(str(params.response_type))
        ? 'query'
        : 'fragment'
  ) as Held['mode']
  // Read by the authorization error handler right after this (synchronous) event: render the
  // error (renderError) instead of redirecting. oidc-provider itself sets this flag the same way.
  e.allow_redirect = false
  HELD.set(err, { redirectUri, mode })
}

/** Holds unvetted clients' authorization errors on Latchkey (see above). */
export function holdUnvettedRedirects(provider: Provider): void {
  provider.on('authorization.error', hold)
  provider.on('server_error', hold)
}

/** The redirect an error was held back from, with its parameters (`out`), if it was. */
export function heldRedirect(
  err: unknown,
  out: Record<string, unknown>,
): { redirect: HeldRedirect; host: string } | undefined {
  const held = err && typeof err === 'object' ? HELD.get(err) : undefined
  if (!held) return undefined
  const fields: Record<string, string> = {}
  for (const [k, v] of Object.entries(out)) if (typeof v === 'string') fields[k] = v
  const url = new URL(held.redirectUri)
  const host = url.host || url.protocol
  if (held.mode === 'form_post')
    return { host, redirect: { method: 'POST', action: held.redirectUri, fields } }
  if (held.mode === 'fragment') url.hash = new URLSearchParams(fields).toString()
  else for (const [k, v] of Object.entries(fields)) url.searchParams.append(k, v)
  return { host, redirect: { method: 'GET', url: url.href } }
}
