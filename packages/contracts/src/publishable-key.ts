/**
 * Publishable keys in Clerk's format: `pk_live_` + base64(`<frontend-api-host>$`), padding removed.
 * Clerk's SDKs decode the Frontend API host from this key.
 *
 * @example
 * ```ts
 * encodePublishableKey('auth.example.com') // 'pk_live_YXV0aC5leGFtcGxlLmNvbSQ'
 * ```
 */
export function encodePublishableKey(host: string, kind: 'live' | 'test' = 'live'): string {
  const b64 = btoa(`${host}$`).replace(/=+$/, '')
  return `pk_${kind}_${b64}`
}

/**
 * The Frontend API host in a publishable key, or `undefined` when the key is malformed.
 *
 * @example
 * ```ts
 * decodePublishableKey('pk_live_YXV0aC5leGFtcGxlLmNvbSQ') // 'auth.example.com'
 * ```
 */
export function decodePublishableKey(key: string): string | undefined {
  const match = /^pk_(live|test)_([A-Za-z0-9+/]+)$/.exec(key)
  if (!match?.[2]) return undefined
  const b64 = match[2]
  try {
    const decoded = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='))
    return decoded.endsWith('$') && decoded.length > 1 ? decoded.slice(0, -1) : undefined
  } catch {
    return undefined
  }
}
