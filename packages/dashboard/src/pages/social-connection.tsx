import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { ConnectionFields, draftOf, patchBody } from '../components/connection-fields.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import {
  providerInfo,
  providerName,
  RedirectUri,
  redirectUriOf,
} from '../components/social-providers.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import { navigate } from '../router.ts'
import type { Instance, OAuthConnection } from '../types.ts'

/** One social connection: the redirect URI to register, its settings, on or off; delete. */
export function SocialConnectionPage({ id }: { id: string }) {
  const path = `/v1/oauth_connections/${encodeURIComponent(id)}`
  const { data, error, setData } = useLoad(() => api<OAuthConnection>('GET', path), [path])
  const instance = useLoad(() => api<Instance>('GET', '/v1/instance'), [])
  const uri = instance.data?.frontend_api_url && redirectUriOf(instance.data.frontend_api_url)
  const { confirm, dialog } = useConfirm()
  const [toggleError, setToggleError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const name = data ? providerName(data.provider) : 'Social connection'
  const setEnabled = async (enabled: boolean) => {
    setToggleError(null)
    setSaved(false)
    try {
      setData(await api<OAuthConnection>('PATCH', path, { enabled }))
    } catch (err) {
      setToggleError(errorMessage(err))
    }
  }
  return (
    <>
      <p className="crumb">
        <Link to="social-connections">Social sign-in</Link>
      </p>
      <PageTitle title={name} />
      <ErrorText message={error ?? instance.error} />
      {data ? (
        <>
          <section className="card" aria-labelledby="register-heading">
            <h2 id="register-heading">Register with {name}</h2>
            <p className="muted small">
              <code>{data.strategy}</code> · issuer <code>{data.issuer}</code> · added{' '}
              {when(data.created_at)}
            </p>
            <RedirectUri uri={uri || undefined} provider={providerInfo(data.provider)} />
          </section>
          <section className="card" aria-labelledby="status-heading">
            <h2 id="status-heading">Status</h2>
            <p>
              {data.enabled ? (
                <>
                  <span className="badge">Enabled</span> The sign-in and sign-up pages offer
                  “Continue with {name}”.
                </>
              ) : (
                <>
                  <span className="badge warn">Disabled</span> Nobody can sign in or sign up with{' '}
                  {name}; its settings are kept.
                </>
              )}
            </p>
            <ErrorText message={toggleError} />
            {data.enabled ? (
              <button
                type="button"
                className="danger"
                onClick={() =>
                  confirm({
                    title: `Disable ${name}?`,
                    body: `Sign-ins with ${name} are refused at once, those already started too. Users who have only ${name} cannot sign in until it is enabled again.`,
                    confirmLabel: 'Disable',
                    action: async () => {
                      setSaved(false)
                      setData(await api<OAuthConnection>('PATCH', path, { enabled: false }))
                    },
                  })
                }
              >
                Disable
              </button>
            ) : (
              <button type="button" className="primary" onClick={() => setEnabled(true)}>
                Enable
              </button>
            )}
          </section>
          <Settings
            key={data.updated_at}
            connection={data}
            path={path}
            saved={saved}
            onSaved={(c) => {
              setData(c)
              setSaved(true)
            }}
          />
          <section className="card" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete connection</h2>
            <p className="muted">
              Its settings and sealed secret are removed. Users keep their accounts; those who
              signed in only with {name} need another way in.
            </p>
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm({
                  title: `Delete the ${name} connection?`,
                  body: `Sign-ins with ${name} are refused from now on. This cannot be undone: adding it again needs the client secret again.`,
                  confirmLabel: 'Delete connection',
                  action: async () => {
                    await api('DELETE', path)
                    navigate('social-connections')
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

function Settings({
  connection,
  path,
  saved,
  onSaved,
}: {
  connection: OAuthConnection
  path: string
  /** Set by the page: a save re-mounts this form (its secrets emptied). */
  saved: boolean
  onSaved(c: OAuthConnection): void
}) {
  const provider = providerInfo(connection.provider)
  const [draft, setDraft] = useState(() => draftOf(connection))
  const [saveError, setSaveError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [edited, setEdited] = useState(false)
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setSaveError(null)
    try {
      const body = patchBody(provider, connection, draft)
      onSaved(
        Object.keys(body).length > 0 ? await api<OAuthConnection>('PATCH', path, body) : connection,
      )
      setEdited(false)
    } catch (err) {
      setSaveError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      <form className="stack" onSubmit={save} onChange={() => setEdited(true)}>
        <ConnectionFields provider={provider} draft={draft} onChange={setDraft} editing />
        <ErrorText message={saveError} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Save settings
          </button>
          <span className="muted small" aria-live="polite">
            {saved && !edited ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </section>
  )
}
