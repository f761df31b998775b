import { useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { IdpValues, providerLabel } from '../components/enterprise-fields.tsx'
import { DomainsForm, OidcIdpForm, SamlIdpForm } from '../components/enterprise-settings.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { redirectUriOf } from '../components/social-providers.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import { navigate } from '../router.ts'
import type { EnterpriseConnection, Instance, SamlConnection } from '../types.ts'

/** One enterprise connection: what the IdP needs, on or off, domains, the IdP's side; delete. */
export function EnterpriseConnectionPage({ id }: { id: string }) {
  const path = `/v1/enterprise_connections/${encodeURIComponent(id)}`
  const { data, error, setData } = useLoad(() => api<EnterpriseConnection>('GET', path), [path])
  const samlId = data?.saml_connection?.id
  // The SAML view adds the certificate and the users linked; it follows every save.
  const saml = useLoad(
    () =>
      samlId
        ? api<SamlConnection>('GET', `/v1/saml_connections/${encodeURIComponent(samlId)}`)
        : Promise.resolve(undefined),
    [samlId, data?.updated_at],
  )
  const instance = useLoad(() => api<Instance>('GET', '/v1/instance'), [])
  const { confirm, dialog } = useConfirm()
  const [toggleError, setToggleError] = useState<string | null>(null)
  const name = data?.name ?? 'Enterprise connection'
  const enable = async () => {
    setToggleError(null)
    try {
      setData(await api<EnterpriseConnection>('PATCH', path, { active: true }))
    } catch (err) {
      setToggleError(errorMessage(err))
    }
  }
  const frontend = instance.data?.frontend_api_url
  const sp = data?.saml_connection
  return (
    <>
      <p className="crumb">
        <Link to="enterprise-connections">Enterprise connections</Link>
      </p>
      <PageTitle title={name} />
      <ErrorText message={error ?? saml.error ?? instance.error} />
      {data ? (
        <>
          <section className="card" aria-labelledby="give-heading">
            <h2 id="give-heading">Give these to the IdP’s administrator</h2>
            <p className="muted small">
              {providerLabel(data.provider)} · <code>{data.id}</code> · added{' '}
              {when(data.created_at)}
            </p>
            {sp ? (
              <>
                <IdpValues
                  values={[
                    { label: 'ACS URL', value: sp.acs_url },
                    { label: 'SP entity ID', value: sp.sp_entity_id },
                    { label: 'SP metadata URL', value: sp.sp_metadata_url },
                  ]}
                />
                <p className="muted small">
                  The ACS URL is the “Single sign-on URL” (HTTP-POST), also the Recipient and
                  Destination; the SP entity ID is the Audience. Or upload the SP metadata, which
                  says both. The IdP must sign its assertions and send the address as{' '}
                  <code>{saml.data?.attribute_mapping.email_address ?? 'mail'}</code> (or as an
                  email NameID).
                </p>
              </>
            ) : (
              <>
                <IdpValues
                  values={[
                    {
                      label: 'Redirect URI',
                      value: frontend ? redirectUriOf(frontend) : undefined,
                    },
                  ]}
                />
                <p className="muted small">
                  Register it exactly as the redirect URI of a confidential client; PKCE (S256) is
                  always used.
                </p>
              </>
            )}
          </section>
          <section className="card" aria-labelledby="status-heading">
            <h2 id="status-heading">Status</h2>
            <p>
              {data.active ? (
                <>
                  <span className="badge">Active</span> Addresses in {data.domains.join(', ')} sign
                  in at this IdP.
                </>
              ) : (
                <>
                  <span className="badge warn">Inactive</span> Nothing goes to this IdP; its domains
                  sign in as any other address.
                </>
              )}
            </p>
            <ErrorText message={toggleError} />
            {data.active ? (
              <button
                type="button"
                className="danger"
                onClick={() =>
                  confirm({
                    title: `Deactivate ${name}?`,
                    body: `Sign-ins for ${data.domains.join(', ')} stop going to this IdP at once. Users who have only this IdP cannot sign in until it is active again.`,
                    confirmLabel: 'Deactivate',
                    action: async () => {
                      setData(await api<EnterpriseConnection>('PATCH', path, { active: false }))
                    },
                  })
                }
              >
                Deactivate
              </button>
            ) : (
              <button type="button" className="primary" onClick={enable}>
                Activate
              </button>
            )}
          </section>
          <DomainsForm connection={data} path={path} onSaved={setData} />
          {sp ? (
            saml.data && (
              <SamlIdpForm connection={data} saml={saml.data} path={path} onSaved={setData} />
            )
          ) : (
            <OidcIdpForm connection={data} path={path} onSaved={setData} />
          )}
          <section className="card" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete connection</h2>
            <p className="muted">
              Its domains sign in as any other address again. Users keep their accounts; those who
              signed in only through this IdP need another way in.
            </p>
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm({
                  title: `Delete ${name}?`,
                  body: 'Sign-ins through this IdP are refused from now on. This cannot be undone: the IdP would need the new connection’s URLs.',
                  confirmLabel: 'Delete connection',
                  action: async () => {
                    await api('DELETE', path)
                    navigate('enterprise-connections')
                  },
                })
              }
            >
              Delete connection
            </button>
          </section>
        </>
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
      {dialog}
    </>
  )
}
