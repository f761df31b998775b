import { errors } from 'oidc-provider'

/*
 * What dynamic client registration (RFC 7591) accepts beyond oidc-provider's own checks. Anyone
 * may register when it is on, so every stored field is bounded (the same bounds as the Backend
 * API's), and metadata that would make this server fetch a URL the registrant chose is refused:
 * `sector_identifier_uri` is fetched at registration (only pairwise subjects need it, and
 * Latchkey's are public), `jwks_uri`/`jwks` serve JWT client authentication and request objects,
 * which Latchkey does not offer.
 */

const MAX_NAME = 256
const MAX_URI = 1024
const MAX_REDIRECT_URIS = 20
const MAX_CONTACTS = 10
const MAX_CONTACT = 256
const MAX_SCOPE = 1024
const URI_FIELDS = ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'initiate_login_uri']
const REFUSED_FIELDS = ['sector_identifier_uri', 'jwks_uri', 'jwks']

const tooLong = (value: unknown, max: number) => typeof value === 'string' && value.length > max

/** The first problem with registration metadata, as RFC 7591 `invalid_client_metadata`. */
export function assertRegistrationBounds(metadata: Record<string, unknown>): void {
  const fail = (description: string): never => {
    // Worded so oidc-provider keeps the code invalid_client_metadata (it reserves descriptions
    // starting with "redirect_uris" for invalid_redirect_uri).
    throw new errors.InvalidClientMetadata(description)
  }
  for (const field of REFUSED_FIELDS)
    if (metadata[field] !== undefined) fail(`${field} is not supported by this server`)
  if (tooLong(metadata.client_name, MAX_NAME))
    fail(`client_name must be at most ${MAX_NAME} characters`)
  if (tooLong(metadata.scope, MAX_SCOPE)) fail(`scope must be at most ${MAX_SCOPE} characters`)
  for (const field of URI_FIELDS)
    if (tooLong(metadata[field], MAX_URI)) fail(`${field} must be at most ${MAX_URI} characters`)
  const redirectUris = metadata.redirect_uris
  if (Array.isArray(redirectUris)) {
    if (redirectUris.length > MAX_REDIRECT_URIS)
      fail(`at most ${MAX_REDIRECT_URIS} redirect_uris may be registered`)
    if (redirectUris.some((u) => tooLong(u, MAX_URI)))
      fail(`each of redirect_uris must be at most ${MAX_URI} characters`)
  }
  const contacts = metadata.contacts
  if (Array.isArray(contacts)) {
    if (contacts.length > MAX_CONTACTS) fail(`at most ${MAX_CONTACTS} contacts may be registered`)
    if (contacts.some((c) => tooLong(c, MAX_CONTACT)))
      fail(`each of contacts must be at most ${MAX_CONTACT} characters`)
  }
}
