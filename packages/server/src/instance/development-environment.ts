import type { InstancePaths } from './instance.service.js'

/** The display_config URLs a redirect after signing in, up or out, or the logo, goes to. */
type AfterUrls = {
  home_url: string
  after_sign_in_url: string
  after_sign_up_url: string
  after_sign_out_one_url: string
  after_sign_out_all_url: string
  after_switch_session_url: string
  logo_link_url: string
}

/**
 * What `PATCH /v1/environment` answers: the environment, with the redirect targets the operator
 * left at their defaults pointing at the calling app's origin instead of Latchkey's.
 *
 * Only clerk-js with a `pk_test_` key sends this PATCH (Clerk's development instances record the
 * calling origin with it). clerk-js then runs Clerk's development-instance code, and that code
 * refuses to build any URL on another origin without a dev-browser token ("Missing dev
 * browser"), a token it only asks for when the Frontend API's host is one of Clerk's own
 * development domains — never Latchkey's. So a default that points at Latchkey (home, after
 * sign-out: the hosted sign-in page) crashes Clerk's UserButton, and mounted components, while
 * they render. The caller is an allowed origin (a PATCH from any other is refused as
 * `origin_invalid` before this runs) and nothing is stored: a redirect to the app's own origin is
 * what a development instance does, and gives no one a new destination.
 *
 * @example
 * ```ts
 * forDevelopmentOrigin(doc, settings.paths, 'http://localhost:5173')
 * // doc.display_config.after_sign_out_one_url === 'http://localhost:5173/' when not configured
 * ```
 */
export function forDevelopmentOrigin<D extends { display_config: AfterUrls }>(
  doc: D,
  configured: InstancePaths,
  origin: string | undefined,
): D {
  if (!origin) return doc
  const home = configured.home_url ?? `${origin}/`
  const afterSignIn = configured.after_sign_in_url ?? home
  const afterSignOut = configured.after_sign_out_url ?? home
  return {
    ...doc,
    display_config: {
      ...doc.display_config,
      home_url: home,
      after_sign_in_url: afterSignIn,
      after_sign_up_url: configured.after_sign_up_url ?? home,
      after_sign_out_one_url: afterSignOut,
      after_sign_out_all_url: afterSignOut,
      after_switch_session_url: afterSignIn,
      logo_link_url: home,
    },
  }
}
