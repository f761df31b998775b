import { useId } from 'react'
import type { EnterpriseConnection } from '../types.ts'
import { CopyButton } from './copy-button.tsx'

/** The providers `POST /v1/enterprise_connections` takes; the prefix chooses the protocol. */
export const ENTERPRISE_PROVIDERS = [
  { key: 'saml_custom', name: 'SAML 2.0 (any identity provider)' },
  { key: 'saml_okta', name: 'Okta Workforce (SAML)' },
  { key: 'saml_microsoft', name: 'Microsoft Entra ID (SAML)' },
  { key: 'saml_google', name: 'Google Workspace (SAML)' },
  { key: 'oidc_custom', name: 'OpenID Connect (any identity provider)' },
] as const

export const providerLabel = (key: string) =>
  ENTERPRISE_PROVIDERS.find((p) => p.key === key)?.name ?? key

export const isSaml = (provider: string) => provider.startsWith('saml_')

export const connectionPath = (c: { id: string }) =>
  `enterprise-connections/${encodeURIComponent(c.id)}`

/** `acme.com, eu.acme.com` or one a line → the list the API takes (it lowercases them). */
export function parseDomains(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean)
}

/** How the operator gives the IdP's side of a SAML connection. */
export type SamlSource = 'later' | 'metadata_url' | 'metadata_xml' | 'manual'

export type SamlDraft = {
  source: SamlSource
  metadataUrl: string
  metadataXml: string
  entityId: string
  ssoUrl: string
  certificate: string
}

export const EMPTY_SAML: SamlDraft = {
  source: 'metadata_url',
  metadataUrl: '',
  metadataXml: '',
  entityId: '',
  ssoUrl: '',
  certificate: '',
}

/** The `saml` object for the chosen source, and only its fields. */
export function samlBody(d: SamlDraft): Record<string, string> | undefined {
  switch (d.source) {
    case 'later':
      return undefined
    case 'metadata_url':
      return { idp_metadata_url: d.metadataUrl.trim() }
    case 'metadata_xml':
      return { idp_metadata: d.metadataXml }
    case 'manual':
      return {
        idp_entity_id: d.entityId.trim(),
        idp_sso_url: d.ssoUrl.trim(),
        idp_certificate: d.certificate,
      }
  }
}

/** The IdP's side of a SAML connection: its metadata (URL or document) or the three fields. */
export function SamlIdpFields({
  draft,
  onChange,
  allowLater,
}: {
  draft: SamlDraft
  onChange(d: SamlDraft): void
  allowLater: boolean
}) {
  const hint = useId()
  const set = (k: keyof SamlDraft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [k]: e.target.value })
  return (
    <fieldset className="stack">
      <legend>Identity provider’s side</legend>
      <label>
        Give it as
        <select value={draft.source} onChange={set('source')}>
          <option value="metadata_url">Its metadata URL</option>
          <option value="metadata_xml">Its metadata document (XML)</option>
          <option value="manual">Entity ID, SSO URL and certificate</option>
          {allowLater && <option value="later">Later (the connection stays inactive)</option>}
        </select>
      </label>
      {draft.source === 'metadata_url' && (
        <label>
          IdP metadata URL
          <input
            type="url"
            required
            maxLength={2048}
            spellCheck={false}
            placeholder="https://acme.okta.com/app/…/sso/saml/metadata"
            aria-describedby={hint}
            value={draft.metadataUrl}
            onChange={set('metadataUrl')}
          />
        </label>
      )}
      {draft.source === 'metadata_xml' && (
        <label>
          IdP metadata XML
          <textarea
            rows={6}
            required
            maxLength={200_000}
            spellCheck={false}
            placeholder="<md:EntityDescriptor …>"
            aria-describedby={hint}
            value={draft.metadataXml}
            onChange={set('metadataXml')}
          />
        </label>
      )}
      {draft.source === 'manual' && (
        <>
          <div className="grid-form">
            <label>
              IdP entity ID (issuer)
              <input
                required
                maxLength={1024}
                spellCheck={false}
                autoComplete="off"
                value={draft.entityId}
                onChange={set('entityId')}
              />
            </label>
            <label>
              IdP SSO URL (HTTP-Redirect)
              <input
                type="url"
                required
                maxLength={2048}
                spellCheck={false}
                value={draft.ssoUrl}
                onChange={set('ssoUrl')}
              />
            </label>
          </div>
          <label>
            IdP signing certificate (PEM or base64)
            <textarea
              rows={5}
              required
              maxLength={16_384}
              spellCheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              aria-describedby={hint}
              value={draft.certificate}
              onChange={set('certificate')}
            />
          </label>
        </>
      )}
      <p className="muted small" id={hint}>
        {draft.source === 'metadata_url'
          ? 'Read once, now, over https (the server refuses private addresses unless allowed). The entity ID, SSO URL and certificate are taken from it.'
          : draft.source === 'later'
            ? 'The connection page shows what to give the IdP; add its side there.'
            : 'Assertions must be signed with this certificate.'}
      </p>
    </fieldset>
  )
}

export type OidcDraft = { discoveryUrl: string; clientId: string; secret: string; scopes: string }

export const EMPTY_OIDC: OidcDraft = { discoveryUrl: '', clientId: '', secret: '', scopes: '' }

export const oidcDraftOf = (c: EnterpriseConnection): OidcDraft => ({
  discoveryUrl: c.oauth_config?.discovery_url ?? '',
  clientId: c.oauth_config?.client_id ?? '',
  secret: '',
  scopes: c.oauth_config?.scopes ?? '',
})

/** The `oidc` object: what changed from `was` (all of it for a new one); an empty secret is kept. */
export function oidcBody(d: OidcDraft, was?: EnterpriseConnection): Record<string, string> {
  const body: Record<string, string> = {}
  const before = was ? oidcDraftOf(was) : EMPTY_OIDC
  if (!was || d.discoveryUrl.trim() !== before.discoveryUrl)
    body.discovery_url = d.discoveryUrl.trim()
  if (!was || d.clientId.trim() !== before.clientId) body.client_id = d.clientId.trim()
  if (d.secret) body.client_secret = d.secret
  if (d.scopes.trim() && d.scopes.trim() !== before.scopes) body.scopes = d.scopes.trim()
  return body
}

/** An OpenID Connect IdP: discovery URL, the client registered there, scopes. */
export function OidcFields({
  draft,
  onChange,
  editing,
}: {
  draft: OidcDraft
  onChange(d: OidcDraft): void
  editing: boolean
}) {
  const ids = { discovery: useId(), secret: useId(), scopes: useId() }
  const set = (k: keyof OidcDraft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [k]: e.target.value })
  return (
    <fieldset className="stack">
      <legend>Discovery and client</legend>
      <label>
        Discovery URL (issuer)
        <input
          type="url"
          required
          maxLength={2048}
          spellCheck={false}
          placeholder="https://login.microsoftonline.com/<tenant>/v2.0"
          aria-describedby={ids.discovery}
          value={draft.discoveryUrl}
          onChange={set('discoveryUrl')}
        />
      </label>
      <p className="muted small" id={ids.discovery}>
        The IdP’s issuer or its <code>/.well-known/openid-configuration</code> URL; read when saved.
      </p>
      <div className="grid-form">
        <label>
          Client ID
          <input
            required
            maxLength={512}
            spellCheck={false}
            autoComplete="off"
            value={draft.clientId}
            onChange={set('clientId')}
          />
        </label>
        <label>
          Client secret{editing ? ' (leave empty to keep)' : ''}
          <input
            type="password"
            required={!editing}
            maxLength={4096}
            autoComplete="new-password"
            aria-describedby={ids.secret}
            value={draft.secret}
            onChange={set('secret')}
          />
        </label>
      </div>
      <p className="muted small" id={ids.secret}>
        Sealed on the server and never shown again.
      </p>
      <label>
        Scopes
        <input
          maxLength={1024}
          spellCheck={false}
          autoComplete="off"
          placeholder="openid email profile"
          aria-describedby={ids.scopes}
          value={draft.scopes}
          onChange={set('scopes')}
        />
      </label>
      <p className="muted small" id={ids.scopes}>
        Space-separated; <code>openid</code> is always asked for. Empty: openid email profile.
      </p>
    </fieldset>
  )
}

/** Values to give the IdP's administrator, each with a copy button. */
export function IdpValues({ values }: { values: { label: string; value: string | undefined }[] }) {
  return (
    <dl className="values">
      {values.map((v) => (
        <div className="value-row" key={v.label}>
          <dt>{v.label}</dt>
          <dd>
            {/* Reserve the line while the value loads, so nothing below shifts. */}
            <code>{v.value ?? '\u00a0'}</code>
            {v.value && <CopyButton value={v.value} label={v.label} />}
          </dd>
        </div>
      ))}
    </dl>
  )
}
