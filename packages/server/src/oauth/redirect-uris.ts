/*
 * Redirect URIs an OAuth application may register. Any scheme is allowed (Clerk allows
 * `myapp://`), except those that run code; URIs are matched exactly at authorization time.
 * Applications whose URIs are all http(s) are "web" clients; one with a custom scheme is a
 * "native" client, whose http URIs must then be loopback (RFC 8252), so the two kinds never mix.
 */

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:'])
const LOOPBACKS = new Set(['localhost', '127.0.0.1', '[::1]'])

export type ApplicationType = 'web' | 'native'

export function applicationType(uris: readonly string[]): ApplicationType {
  return uris.every((u) => /^https?:/i.test(u)) ? 'web' : 'native'
}

/** What is wrong with a list of redirect URIs, or undefined when it is acceptable. */
export function redirectUriProblem(uris: readonly string[]): string | undefined {
  for (const uri of uris) {
    const parsed = URL.parse(uri)
    if (!parsed) return `${JSON.stringify(uri)} is not an absolute URI`
    if (uri.includes('#')) return `${JSON.stringify(uri)} must not contain a fragment`
    if (FORBIDDEN_SCHEMES.has(parsed.protocol))
      return `${JSON.stringify(uri)} uses a forbidden scheme`
  }
  if (applicationType(uris) === 'native') {
    const remoteHttp = uris.find((u) => {
      const p = new URL(u)
      return p.protocol === 'http:' && !LOOPBACKS.has(p.hostname)
    })
    if (remoteHttp)
      return `${JSON.stringify(remoteHttp)}: with a custom-scheme redirect URI, http redirect URIs must be loopback addresses`
    const loopbackHttps = uris.find((u) => {
      const p = new URL(u)
      return p.protocol === 'https:' && LOOPBACKS.has(p.hostname)
    })
    if (loopbackHttps)
      return `${JSON.stringify(loopbackHttps)}: with a custom-scheme redirect URI, https redirect URIs must not be loopback addresses`
  }
  return undefined
}
