import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { CopyButton } from '../components/copy-button.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import {
  lines,
  RedirectUrisField,
  ScopeChoices,
  SecretNotice,
} from '../components/oauth-fields.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import { navigate } from '../router.ts'
import type { OAuthApplication } from '../types.ts'

/** One application: what its developers need, its settings, its secret rotated; delete. */
export function OAuthApplicationPage({ id }: { id: string }) {
  const path = `/v1/oauth_applications/${encodeURIComponent(id)}`
  const { data, error, setData } = useLoad(() => api<OAuthApplication>('GET', path), [path])
  const { confirm, dialog } = useConfirm()
  const [saved, setSaved] = useState(false)
  const [secret, setSecret] = useState<string | null>(null)
  return (
    <>
      <p className="crumb">
        <Link to="oauth-applications">OAuth applications</Link>
      </p>
      <PageTitle title={data ? data.name : 'OAuth application'} />
      <ErrorText message={error} />
      <p className="muted small" role="status">
        {saved ? 'Saved: authorizations from now on use these settings.' : ''}
      </p>
      {data ? (
        <>
          <Connect app={data} />
          <Settings
            key={data.updated_at}
            app={data}
            path={path}
            onSaved={(a) => {
              setData(a)
              setSaved(true)
            }}
          />
          <section className="card" aria-labelledby="secret-heading">
            <h2 id="secret-heading">Client secret</h2>
            {data.public ? (
              <p className="muted">
                A public client has no secret: it proves itself with PKCE on every authorization.
              </p>
            ) : (
              <>
                <p className="muted">
                  Stored as a hash and never shown again. Rotating it makes a new one and refuses
                  the old one at once; tokens already issued keep working.
                </p>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    confirm({
                      title: `Rotate the secret of ${data.name}?`,
                      body: 'The current secret stops working at once: the application is refused until it uses the new one.',
                      confirmLabel: 'Rotate secret',
                      action: async () => {
                        const rotated = await api<OAuthApplication>('POST', `${path}/rotate_secret`)
                        setSecret(rotated.client_secret ?? null)
                        setData(rotated)
                      },
                    })
                  }
                >
                  Rotate secret
                </button>
                {secret && <SecretNotice secret={secret} onDone={() => setSecret(null)} />}
              </>
            )}
          </section>
          <section className="card" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete application</h2>
            <p className="muted">
              Deleting it also revokes every grant, code and token issued to it.
            </p>
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm({
                  title: `Delete ${data.name}?`,
                  body: 'Its users are signed out of it and its client ID is refused from now on. This cannot be undone.',
                  confirmLabel: 'Delete application',
                  action: async () => {
                    await api('DELETE', path)
                    navigate('oauth-applications')
                  },
                })
              }
            >
              Delete application
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

/** The values the application's developers configure their OAuth client with. */
function Connect({ app }: { app: OAuthApplication }) {
  const values: [string, string][] = [
    ['Client ID', app.client_id],
    // OpenID Connect clients take the issuer and discover the rest.
    ['Issuer', app.discovery_url.replace(/\/\.well-known\/openid-configuration$/, '')],
    ['Discovery URL', app.discovery_url],
    ['Authorize URL', app.authorize_url],
    ['Token URL', app.token_fetch_url],
    ['Userinfo URL', app.user_info_url],
    ['Introspection URL', app.token_introspection_url],
  ]
  return (
    <section className="card" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect the application</h2>
      <p className="muted small">
        {app.public ? 'Public client (PKCE, no secret)' : 'Confidential client'}
        {app.dynamically_registered ? ', registered dynamically' : ''} · created{' '}
        {when(app.created_at)}
      </p>
      <dl className="values">
        {values.map(([label, value]) => (
          <div key={label} className="value-row">
            <dt>{label}</dt>
            <dd>
              <code data-testid={label}>{value}</code>
              <CopyButton value={value} label={label} />
            </dd>
          </div>
        ))}
      </dl>
    </section>
  )
}

function Settings({
  app,
  path,
  onSaved,
}: {
  app: OAuthApplication
  path: string
  onSaved(a: OAuthApplication): void
}) {
  const [name, setName] = useState(app.name)
  const [uris, setUris] = useState(app.redirect_uris.join('\n'))
  const [scopes, setScopes] = useState(app.scopes)
  const [consent, setConsent] = useState(app.consent_screen_enabled)
  const [pkce, setPkce] = useState(app.pkce_required)
  const [clientUri, setClientUri] = useState(app.client_uri ?? '')
  const [imageUrl, setImageUrl] = useState(app.client_image_url ?? '')
  const [saveError, setSaveError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setSaveError(null)
    try {
      onSaved(
        await api<OAuthApplication>('PATCH', path, {
          name: name.trim(),
          redirect_uris: lines(uris),
          scopes,
          consent_screen_enabled: consent,
          ...(app.public ? {} : { pkce_required: pkce }),
          client_uri: clientUri.trim() || null,
          client_image_url: imageUrl.trim() || null,
        }),
      )
    } catch (err) {
      setSaveError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card stack" onSubmit={save} aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <label>
        Name
        <input required maxLength={256} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <RedirectUrisField value={uris} onChange={setUris} />
      <ScopeChoices value={scopes} onChange={setScopes} />
      <label className="check">
        <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} />
        Ask users to consent (off: users are sent straight back, for your own first-party apps)
      </label>
      {!app.public && (
        <label className="check">
          <input type="checkbox" checked={pkce} onChange={(e) => setPkce(e.target.checked)} />
          Require PKCE as well as the secret
        </label>
      )}
      <div className="grid-form">
        <label>
          Home page URL (optional)
          <input
            type="url"
            maxLength={1024}
            placeholder="https://app.example.com"
            value={clientUri}
            onChange={(e) => setClientUri(e.target.value)}
          />
        </label>
        <label>
          Logo URL (optional)
          <input
            type="url"
            maxLength={1024}
            placeholder="https://app.example.com/logo.png"
            value={imageUrl}
            onChange={(e) => setImageUrl(e.target.value)}
          />
        </label>
      </div>
      <ErrorText message={saveError} />
      <button type="submit" className="primary" disabled={busy}>
        Save settings
      </button>
    </form>
  )
}
