import type { Config } from '../config/config.schema.js'

/**
 * The OAuth issuer's path under LATCHKEY_URL. It is not LATCHKEY_URL itself, which issues the
 * session tokens: an ID token's `iss` and key must never pass a session-token check (DESIGN.md
 * §1's verifiers check only the signature, `iss` and `sub`).
 */
export const OAUTH_PATH = '/oauth'

/** The OAuth 2 / OIDC issuer identifier: `{LATCHKEY_URL}/oauth`. */
export function oauthIssuer(config: Pick<Config, 'url'>): string {
  return `${config.url}${OAUTH_PATH}`
}
