import { isIP } from 'node:net'

/**
 * WebAuthn's relying party (W3C WebAuthn §5.1.4.1, §13.4.9): the RP ID is a domain the pages
 * running the ceremony are on or under, and a credential answers only that RP ID. Clerk uses
 * the instance's root domain, so its Frontend API at `clerk.example.com` serves apps at
 * `example.com` and `app.example.com` alike. Latchkey does the same from LATCHKEY_URL — its host
 * with the first label dropped when it has three or more (`auth.example.com` → `example.com`),
 * else the host itself (`example.com`, `localhost`) — unless LATCHKEY_PASSKEY_RP_ID names it.
 * It must stay stable: a passkey made under one RP ID never answers another.
 */
export function relyingPartyId(config: { url: string; passkeyRpId: string | undefined }): string {
  if (config.passkeyRpId) return config.passkeyRpId
  const host = new URL(config.url).hostname
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return host
  const labels = host.split('.')
  return labels.length >= 3 ? labels.slice(1).join('.') : host
}

/** Whether a page's origin may run a ceremony for this RP ID (its host is the ID or under it). */
export function originUnderRpId(origin: string, rpId: string): boolean {
  let host: string
  try {
    host = new URL(origin).hostname
  } catch {
    return false
  }
  return host === rpId || host.endsWith(`.${rpId}`)
}

/**
 * The origins an assertion or attestation may come from: the instance's own origin and every
 * allowed origin (LATCHKEY_ALLOWED_ORIGINS and the instance settings) under the RP ID. The
 * browser writes the page's origin into the signed client data, so a page anywhere else — a
 * phishing copy on another domain, or an origin the operator removed — is refused.
 */
export function expectedOrigins(own: string, allowed: readonly string[], rpId: string): string[] {
  return [...new Set([new URL(own).origin, ...allowed])].filter((o) => originUnderRpId(o, rpId))
}
