import { fromDbBool, type OAuthApplicationRow } from '@latchkey/db'
import type { AdapterPayload, ClientMetadata } from 'oidc-provider'
import {
  type ApplicationInput,
  DEFAULT_SCOPES,
  PROTOCOL_SCOPES,
} from './oauth-applications.service.js'
import { applicationType } from './redirect-uris.js'

/**
 * An OAuth application as oidc-provider's client metadata. The `client_secret` handed over is the
 * stored SHA-256; `compareClientSecret` (provider.ts) hashes what a client presents before the
 * constant-time comparison, so the plaintext secret exists only in the client's hands.
 */
export function clientMetadata(row: OAuthApplicationRow): ClientMetadata {
  const redirectUris = JSON.parse(row.redirect_uris) as string[]
  const isPublic = fromDbBool(row.public)
  const scopes = new Set([...row.scopes.split(' ').filter(Boolean), ...PROTOCOL_SCOPES])
  return {
    client_id: row.client_id,
    ...(isPublic ? {} : { client_secret: row.client_secret_hash ?? '' }),
    client_name: row.name,
    redirect_uris: redirectUris,
    application_type: applicationType(redirectUris),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
    scope: [...scopes].join(' '),
    ...(row.client_uri ? { client_uri: row.client_uri } : {}),
    ...(row.client_image_url ? { logo_uri: row.client_image_url } : {}),
    // Read by provider.ts: PKCE and the consent screen are per application; an application
    // nobody vetted never redirects its errors unasked (unvetted-redirects.ts).
    latchkey_pkce_required: fromDbBool(row.pkce_required),
    latchkey_consent_screen_enabled: fromDbBool(row.consent_screen_enabled),
    latchkey_dynamically_registered: fromDbBool(row.dynamically_registered),
  }
}

/** Dynamic registration's metadata (already validated by oidc-provider) as an application. */
export function registrationInput(m: AdapterPayload): {
  input: ApplicationInput & { name: string }
  secret: string | undefined
} {
  const isPublic = m.token_endpoint_auth_method === 'none'
  const scope = typeof m.scope === 'string' ? m.scope : DEFAULT_SCOPES
  return {
    input: {
      name: typeof m.client_name === 'string' && m.client_name ? m.client_name : 'Unnamed client',
      redirectUris: Array.isArray(m.redirect_uris) ? m.redirect_uris : [],
      scopes: scope,
      public: isPublic,
      pkceRequired: true,
      // A client nobody vetted always asks the user.
      consentScreenEnabled: true,
      clientUri: typeof m.client_uri === 'string' ? m.client_uri : null,
      clientImageUrl: typeof m.logo_uri === 'string' ? m.logo_uri : null,
    },
    secret: isPublic ? undefined : (m.client_secret as string | undefined),
  }
}
