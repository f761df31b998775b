import { type FormEvent, type ReactNode, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { when } from '../format.ts'
import type { EnterpriseConnection, SamlConnection } from '../types.ts'
import {
  EMPTY_SAML,
  OidcFields,
  oidcBody,
  oidcDraftOf,
  parseDomains,
  type SamlDraft,
  SamlIdpFields,
  samlBody,
} from './enterprise-fields.tsx'
import { ErrorText } from './error-text.tsx'

type Saved = (c: EnterpriseConnection) => void

/** A card whose form PATCHes the connection with `body()`; says "Saved" until edited again. */
function PatchForm(props: {
  id: string
  title: string
  path: string
  button: string
  body(): Record<string, unknown>
  onSaved: Saved
  children: ReactNode
}) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [saved, setSaved] = useState(false)
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setSaved(false)
    try {
      props.onSaved(await api<EnterpriseConnection>('PATCH', props.path, props.body()))
      setSaved(true)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <form className="stack" onSubmit={save} onChange={() => setSaved(false)}>
        {props.children}
        <ErrorText message={error} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {props.button}
          </button>
          <span className="muted small" aria-live="polite">
            {saved ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </section>
  )
}

/** The connection's email domains, and whether their subdomains belong to it too. */
export function DomainsForm({
  connection,
  path,
  onSaved,
}: {
  connection: EnterpriseConnection
  path: string
  onSaved: Saved
}) {
  const [domains, setDomains] = useState(connection.domains.join(', '))
  const [subdomains, setSubdomains] = useState(connection.allow_subdomains)
  return (
    <PatchForm
      id="domains-heading"
      title="Domains"
      path={path}
      button="Save domains"
      onSaved={onSaved}
      body={() => ({ domains: parseDomains(domains), allow_subdomains: subdomains })}
    >
      <label>
        Email domains
        <input
          required
          maxLength={4096}
          spellCheck={false}
          autoComplete="off"
          value={domains}
          onChange={(e) => setDomains(e.target.value)}
        />
      </label>
      <p className="muted small">
        Comma-separated. A domain belongs to one connection; its addresses sign in at this IdP only.
      </p>
      <label className="check">
        <input
          type="checkbox"
          checked={subdomains}
          onChange={(e) => setSubdomains(e.target.checked)}
        />
        Subdomains too (eu.acme.com for acme.com)
      </label>
    </PatchForm>
  )
}

function samlDraftOf(s: SamlConnection | undefined): SamlDraft {
  if (s?.idp_metadata_url) return { ...EMPTY_SAML, metadataUrl: s.idp_metadata_url }
  if (!s?.idp_entity_id) return EMPTY_SAML
  return {
    ...EMPTY_SAML,
    source: 'manual',
    entityId: s.idp_entity_id,
    ssoUrl: s.idp_sso_url ?? '',
    certificate: s.idp_certificate ?? '',
  }
}

/** A SAML connection's IdP: what is stored, and a form to replace it. */
export function SamlIdpForm({
  connection,
  saml,
  path,
  onSaved,
}: {
  connection: EnterpriseConnection
  saml: SamlConnection | undefined
  path: string
  onSaved: Saved
}) {
  const [draft, setDraft] = useState(() => samlDraftOf(saml))
  const [idpInitiated, setIdpInitiated] = useState(
    connection.saml_connection?.allow_idp_initiated ?? false,
  )
  return (
    <PatchForm
      id="idp-heading"
      title="Identity provider"
      path={path}
      button="Save identity provider"
      onSaved={onSaved}
      body={() => ({ saml: { ...samlBody(draft), allow_idp_initiated: idpInitiated } })}
    >
      <dl className="values">
        <div className="value-row">
          <dt>IdP entity ID</dt>
          <dd className="mono small">{connection.saml_connection?.idp_entity_id ?? 'Not set'}</dd>
        </div>
        <div className="value-row">
          <dt>IdP SSO URL</dt>
          <dd className="mono small">{connection.saml_connection?.idp_sso_url ?? 'Not set'}</dd>
        </div>
        <div className="value-row">
          <dt>Certificate</dt>
          <dd className="small">
            {saml?.idp_certificate_expires_at
              ? `Expires ${when(saml.idp_certificate_expires_at)}`
              : saml?.idp_certificate
                ? 'Set'
                : 'Not set'}
          </dd>
        </div>
        <div className="value-row">
          <dt>Users linked</dt>
          <dd className="small">{saml?.user_count ?? '\u00a0'}</dd>
        </div>
      </dl>
      <SamlIdpFields draft={draft} onChange={setDraft} allowLater={false} />
      <label className="check">
        <input
          type="checkbox"
          checked={idpInitiated}
          onChange={(e) => setIdpInitiated(e.target.checked)}
        />
        Allow IdP-initiated sign-in (the app’s tile on the IdP’s dashboard)
      </label>
      <p className="muted small">
        Off unless the customer needs it: an unsolicited response can sign a victim’s browser in as
        someone else (login CSRF).
      </p>
    </PatchForm>
  )
}

/** An OpenID Connect connection's IdP: discovery URL, client, scopes (the secret kept if empty). */
export function OidcIdpForm({
  connection,
  path,
  onSaved,
}: {
  connection: EnterpriseConnection
  path: string
  onSaved: Saved
}) {
  const [draft, setDraft] = useState(() => oidcDraftOf(connection))
  return (
    <PatchForm
      id="idp-heading"
      title="Identity provider"
      path={path}
      button="Save identity provider"
      onSaved={(c) => {
        setDraft({ ...oidcDraftOf(c) })
        onSaved(c)
      }}
      body={() => ({ oidc: oidcBody(draft, connection) })}
    >
      <OidcFields draft={draft} onChange={setDraft} editing />
    </PatchForm>
  )
}
