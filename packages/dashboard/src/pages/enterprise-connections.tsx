import { type FormEvent, useState } from 'react'
import { api, errorMessage, qs } from '../api.ts'
import {
  connectionPath,
  EMPTY_OIDC,
  EMPTY_SAML,
  ENTERPRISE_PROVIDERS,
  IdpValues,
  isSaml,
  OidcFields,
  oidcBody,
  parseDomains,
  providerLabel,
  SamlIdpFields,
  samlBody,
} from '../components/enterprise-fields.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Pager } from '../components/pager.tsx'
import { redirectUriOf } from '../components/social-providers.tsx'
import { useLoad } from '../components/use-load.ts'
import { navigate } from '../router.ts'
import type { EnterpriseConnection, Instance, Paginated } from '../types.ts'

const LIMIT = 25

/** Enterprise SSO: SAML and OpenID Connect connections bound to email domains; a new one. */
export function EnterpriseConnections() {
  const [offset, setOffset] = useState(0)
  const { data, error } = useLoad(
    () =>
      api<Paginated<EnterpriseConnection>>(
        'GET',
        `/v1/enterprise_connections${qs({ limit: LIMIT, offset })}`,
      ),
    [offset],
  )
  return (
    <>
      <PageTitle title="Enterprise connections" />
      <p className="muted">
        A customer’s own identity provider (Okta, Entra ID, Google Workspace, any SAML 2.0 or OpenID
        Connect IdP), bound to their email domains: an address in those domains signs in there, and
        only there.
      </p>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Enterprise connections</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Domains</th>
              <th scope="col">Status</th>
              <th scope="col" className="wide-only">
                Protocol
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.data.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={connectionPath(c)}>{c.name}</Link>
                  <div className="mono small muted">{c.id}</div>
                </td>
                <td className="mono small">{c.domains.join(', ')}</td>
                <td>
                  {c.active ? (
                    <span className="badge">Active</span>
                  ) : (
                    <span className="badge warn">Inactive</span>
                  )}
                </td>
                <td className="wide-only small">{providerLabel(c.provider)}</td>
              </tr>
            ))}
            {data && data.total_count === 0 && (
              <tr>
                <td colSpan={4}>No enterprise connections yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {data && data.total_count > LIMIT && (
        <Pager
          label="Enterprise connections"
          offset={offset}
          limit={LIMIT}
          total={data.total_count}
          shown={data.data.length}
          onChange={setOffset}
        />
      )}
      <CreateConnection />
    </>
  )
}

function CreateConnection() {
  const instance = useLoad(() => api<Instance>('GET', '/v1/instance'), [])
  const [provider, setProvider] = useState<string>(ENTERPRISE_PROVIDERS[0].key)
  const [name, setName] = useState('')
  const [domains, setDomains] = useState('')
  const [subdomains, setSubdomains] = useState(false)
  const [saml, setSaml] = useState(EMPTY_SAML)
  const [oidc, setOidc] = useState(EMPTY_OIDC)
  const [active, setActive] = useState(true)
  const [createError, setCreateError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const samlChosen = isSaml(provider)
  // A SAML connection given its IdP side later cannot be active yet.
  const canActivate = !samlChosen || saml.source !== 'later'
  const create = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setCreateError(null)
    try {
      const idp = samlChosen ? { saml: samlBody(saml) } : { oidc: oidcBody(oidc) }
      const made = await api<EnterpriseConnection>('POST', '/v1/enterprise_connections', {
        provider,
        name: name.trim(),
        domains: parseDomains(domains),
        allow_subdomains: subdomains,
        active: active && canActivate,
        ...(idp.saml || idp.oidc ? idp : {}),
      })
      navigate(connectionPath(made))
    } catch (err) {
      setCreateError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const frontend = instance.data?.frontend_api_url
  return (
    <section className="card" aria-labelledby="new-connection-heading">
      <h2 id="new-connection-heading">Add an enterprise connection</h2>
      <form className="stack" onSubmit={create}>
        <div className="grid-form">
          <label>
            Identity provider
            <select value={provider} onChange={(e) => setProvider(e.target.value)}>
              {ENTERPRISE_PROVIDERS.map((p) => (
                <option key={p.key} value={p.key}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input
              required
              maxLength={256}
              placeholder="e.g. Acme Okta"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
        </div>
        <label>
          Email domains
          <input
            required
            maxLength={4096}
            spellCheck={false}
            autoComplete="off"
            placeholder="acme.com, acme.co.uk"
            value={domains}
            onChange={(e) => setDomains(e.target.value)}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={subdomains}
            onChange={(e) => setSubdomains(e.target.checked)}
          />
          Subdomains too (eu.acme.com for acme.com)
        </label>
        {samlChosen ? (
          <>
            <p className="muted small">
              The ACS URL and SP entity ID the IdP needs are made with the connection: its page
              shows them, to copy, and its SP metadata URL.
            </p>
            <SamlIdpFields draft={saml} onChange={setSaml} allowLater />
          </>
        ) : (
          <>
            <IdpValues
              values={[
                { label: 'Redirect URI', value: frontend ? redirectUriOf(frontend) : undefined },
              ]}
            />
            <p className="muted small">Register it at the IdP as the client’s redirect URI.</p>
            <OidcFields draft={oidc} onChange={setOidc} editing={false} />
          </>
        )}
        <label className="check">
          <input
            type="checkbox"
            checked={active && canActivate}
            disabled={!canActivate}
            onChange={(e) => setActive(e.target.checked)}
          />
          Active: send these domains’ sign-ins to the IdP now
        </label>
        <ErrorText message={createError ?? instance.error} />
        <button type="submit" className="primary" disabled={busy}>
          Add connection
        </button>
      </form>
    </section>
  )
}
