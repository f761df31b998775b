import type { OAuthConnection } from '../types.ts'
import { CopyButton } from './copy-button.tsx'

/**
 * What each provider of `POST /v1/oauth_connections` takes (docs/API.md "Social connections:
 * per-provider setup"), so the forms ask for those fields and no others: the API refuses a
 * field a provider does not use.
 */
export type ProviderInfo = {
  /** The API's provider key; `custom` stands for `custom_<slug>`. */
  key: string
  name: string
  /** Whether the connection has an issuer to name: required (Microsoft, custom) or optional. */
  issuer?: { required: boolean; placeholder: string; hint: string }
  /** Apple signs with a team key (team_id, key_id, private_key) instead of a client secret. */
  apple?: true
  /** GitHub and Discord: their endpoints moved to one origin on loopback (a stand-in). */
  endpointBase?: true
  clientIdLabel: string
  defaultScopes: string
  /** Where the provider's console asks for the redirect URI. */
  register: string
}

export const PROVIDERS: readonly ProviderInfo[] = [
  {
    key: 'google',
    name: 'Google',
    clientIdLabel: 'Client ID',
    defaultScopes: 'openid email profile',
    register:
      'Google Cloud console → APIs & Services → Credentials → OAuth client ID (Web application) → Authorized redirect URIs.',
  },
  {
    key: 'microsoft',
    name: 'Microsoft',
    issuer: {
      required: true,
      placeholder: 'https://login.microsoftonline.com/<tenant id>/v2.0',
      hint: 'Your tenant’s (common and organizations are refused). Personal accounts: tenant 9188040d-6c67-4c5b-b112-36a304b66dad.',
    },
    clientIdLabel: 'Application (client) ID',
    defaultScopes: 'openid email profile',
    register:
      'Microsoft Entra ID → App registrations → Authentication → Web platform → Redirect URIs.',
  },
  {
    key: 'github',
    name: 'GitHub',
    endpointBase: true,
    clientIdLabel: 'Client ID',
    defaultScopes: 'read:user user:email',
    register: 'GitHub → Settings → Developer settings → OAuth Apps → Authorization callback URL.',
  },
  {
    key: 'gitlab',
    name: 'GitLab',
    issuer: {
      required: false,
      placeholder: 'https://gitlab.com',
      hint: 'Only for a self-managed instance; empty is https://gitlab.com.',
    },
    clientIdLabel: 'Application ID',
    defaultScopes: 'openid email profile',
    register: 'GitLab → Preferences → Applications → Redirect URI (scopes openid, email, profile).',
  },
  {
    key: 'discord',
    name: 'Discord',
    endpointBase: true,
    clientIdLabel: 'Client ID',
    defaultScopes: 'identify email',
    register: 'Discord Developer Portal → your application → OAuth2 → Redirects.',
  },
  {
    key: 'apple',
    name: 'Apple',
    apple: true,
    clientIdLabel: 'Services ID',
    defaultScopes: 'name email',
    register:
      'Apple Developer → Identifiers → your Services ID → Sign in with Apple → Return URLs (https only).',
  },
  {
    key: 'custom',
    name: 'Another OpenID Connect provider',
    issuer: {
      required: true,
      placeholder: 'https://idp.example.com',
      hint: 'Its discovery document (/.well-known/openid-configuration) is read and checked now.',
    },
    clientIdLabel: 'Client ID',
    defaultScopes: 'openid email profile',
    register: 'At the provider: the redirect URI of its client (or application) registration.',
  },
]

/** The form's entry for a connection's provider key (`custom_acme` → the custom one). */
export function providerInfo(key: string): ProviderInfo {
  const known = PROVIDERS.find((p) => p.key === key && p.key !== 'custom')
  return known ?? (PROVIDERS.find((p) => p.key === 'custom') as ProviderInfo)
}

/** The name on the "Continue with …" button, as the server makes it (custom_acme-id → Acme id). */
export function providerName(key: string): string {
  if (!key.startsWith('custom_')) return providerInfo(key).name
  const slug = key.slice('custom_'.length).replace(/[_-]+/g, ' ')
  return slug.charAt(0).toUpperCase() + slug.slice(1)
}

/** The app path of a connection's page. */
export const connectionPath = (c: OAuthConnection) =>
  `social-connections/${encodeURIComponent(c.id)}`

/**
 * The URI every provider must be given: the server's `/v1/oauth_callback`, built from the
 * Frontend API URL as the server builds it (`new URL('/v1/oauth_callback', LATCHKEY_URL)`).
 */
export function redirectUriOf(frontendApiUrl: string): string {
  return new URL('/v1/oauth_callback', frontendApiUrl).href
}

/** The redirect URI with a copy button and where this provider's console asks for it. */
export function RedirectUri({
  uri,
  provider,
}: {
  uri: string | undefined
  provider: ProviderInfo
}) {
  return (
    <div>
      <dl className="values">
        <div className="value-row">
          <dt>Redirect URI</dt>
          <dd>
            {/* Reserve the line while the instance loads, so nothing below shifts. */}
            <code data-testid="redirect-uri">{uri ?? '\u00a0'}</code>
            {uri && <CopyButton value={uri} label="redirect URI" />}
          </dd>
        </div>
      </dl>
      <p className="muted small">Register it exactly. {provider.register}</p>
    </div>
  )
}
