/**
 * Publishable keys in Clerk's format: `pk_live_` + base64(`<frontend-api-host>$`), padding removed.
 * Clerk's SDKs decode the Frontend API host from this key.
 *
 * Clerk's key check (`@clerk/shared` keys) refuses a decoded host without a `.`, so a dotless host
 * name such as `localhost` is encoded as its fully qualified form, `localhost.`: DNS and browsers
 * read it as the same host, Clerk's check accepts it, and {@link decodePublishableKey} gives back
 * the host as configured. IP literals keep their own form (an IPv4 address has dots already).
 *
 * @example
 * ```ts
 * encodePublishableKey('auth.example.com') // 'pk_live_YXV0aC5leGFtcGxlLmNvbSQ'
 * encodePublishableKey('localhost:4000') // 'pk_live_bG9jYWxob3N0Ljo0MDAwJA' (localhost.:4000$)
 * ```
 */
export function encodePublishableKey(host: string, kind: 'live' | 'test' = 'live'): string {
  const b64 = btoa(`${qualify(host)}$`).replace(/=+$/, '')
  return `pk_${kind}_${b64}`
}

/**
 * The Frontend API host in a publishable key, or `undefined` when the key is malformed. The
 * trailing dot that {@link encodePublishableKey} adds to a dotless host name is removed.
 *
 * @example
 * ```ts
 * decodePublishableKey('pk_live_YXV0aC5leGFtcGxlLmNvbSQ') // 'auth.example.com'
 * decodePublishableKey('pk_live_bG9jYWxob3N0Ljo0MDAwJA') // 'localhost:4000'
 * ```
 */
export function decodePublishableKey(key: string): string | undefined {
  const match = /^pk_(live|test)_([A-Za-z0-9+/]+)$/.exec(key)
  if (!match?.[2]) return undefined
  const b64 = match[2]
  let decoded: string
  try {
    decoded = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))
  } catch {
    return undefined
  }
  if (!decoded.endsWith('$') || decoded.length < 2) return undefined
  return unqualify(decoded.slice(0, -1))
}

/** `name[:port]` with no dot in the name gets the root label: `localhost:4000` → `localhost.:4000`. */
function qualify(host: string): string {
  if (host.startsWith('[')) return host
  const { name, port } = splitPort(host)
  return name.includes('.') ? host : `${name}.${port}`
}

/** Undoes {@link qualify}: a name whose only dot is its last loses it. */
function unqualify(host: string): string {
  const { name, port } = splitPort(host)
  const bare = name.slice(0, -1)
  return name.endsWith('.') && bare !== '' && !bare.includes('.') ? `${bare}${port}` : host
}

function splitPort(host: string): { name: string; port: string } {
  const colon = host.lastIndexOf(':')
  return colon < 0
    ? { name: host, port: '' }
    : { name: host.slice(0, colon), port: host.slice(colon) }
}
