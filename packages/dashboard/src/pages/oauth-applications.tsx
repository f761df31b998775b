import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import {
  lines,
  RedirectUrisField,
  ScopeChoices,
  SecretNotice,
} from '../components/oauth-fields.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Pager } from '../components/pager.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import type { OAuthApplication, Paginated } from '../types.ts'

const LIMIT = 100
const appPath = (a: OAuthApplication) => `oauth-applications/${encodeURIComponent(a.id)}`

/** OAuth applications: the list, and a new one (its client secret shown once). */
export function OAuthApplications() {
  const [offset, setOffset] = useState(0)
  const { data, error, reload } = useLoad(
    () =>
      api<Paginated<OAuthApplication>>(
        'GET',
        `/v1/oauth_applications?limit=${LIMIT}&offset=${offset}`,
      ),
    [offset],
  )
  const [name, setName] = useState('')
  const [uris, setUris] = useState('')
  const [scopes, setScopes] = useState('profile email')
  const [isPublic, setIsPublic] = useState(false)
  const [created, setCreated] = useState<OAuthApplication | null>(null)
  const [createError, setCreateError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const create = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setCreateError(null)
    try {
      setCreated(
        await api<OAuthApplication>('POST', '/v1/oauth_applications', {
          name: name.trim(),
          redirect_uris: lines(uris),
          scopes,
          public: isPublic,
        }),
      )
      setName('')
      setUris('')
      setScopes('profile email')
      setIsPublic(false)
      reload()
    } catch (err) {
      setCreateError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const apps = data?.data
  return (
    <>
      <PageTitle title="OAuth applications" />
      <p className="muted">
        Applications that offer “Sign in with” this instance: each gets a client ID (and, unless
        public, a client secret) and sends users to the authorize URL.
      </p>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">OAuth applications</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Client ID</th>
              <th scope="col">Type</th>
              <th scope="col" className="wide-only">
                Created
              </th>
            </tr>
          </thead>
          <tbody>
            {apps?.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={appPath(a)}>{a.name}</Link>
                </td>
                <td className="mono small">{a.client_id}</td>
                <td>{a.public ? 'Public' : 'Confidential'}</td>
                <td className="wide-only">{when(a.created_at)}</td>
              </tr>
            ))}
            {apps && apps.length === 0 && (
              <tr>
                <td colSpan={4}>No OAuth applications yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {data && data.total_count > LIMIT && (
        <Pager
          label="OAuth applications"
          offset={offset}
          limit={LIMIT}
          total={data.total_count}
          shown={data.data.length}
          onChange={setOffset}
        />
      )}
      <section className="card" aria-labelledby="new-app-heading">
        <h2 id="new-app-heading">Create OAuth application</h2>
        <form className="stack" onSubmit={create}>
          <label>
            Name
            <input
              required
              maxLength={256}
              placeholder="e.g. Acme CRM"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <RedirectUrisField value={uris} onChange={setUris} />
          <ScopeChoices value={scopes} onChange={setScopes} />
          <label className="check">
            <input
              type="checkbox"
              checked={isPublic}
              onChange={(e) => setIsPublic(e.target.checked)}
            />
            Public client (a browser or mobile app): no client secret, PKCE required
          </label>
          <ErrorText message={createError} />
          <button type="submit" className="primary" disabled={busy}>
            Create OAuth application
          </button>
        </form>
        {created && (
          <CreatedNotice key={created.id} app={created} onDone={() => setCreated(null)} />
        )}
      </section>
    </>
  )
}

function CreatedNotice({ app, onDone }: { app: OAuthApplication; onDone(): void }) {
  const open = <Link to={appPath(app)}>Open {app.name}</Link>
  if (!app.client_secret)
    return (
      <div className="notice" role="status">
        <p>
          <strong>{app.name} was created.</strong> It is a public client: it has no secret and
          proves itself with PKCE. {open}
        </p>
        <button type="button" className="small" onClick={onDone}>
          Done
        </button>
      </div>
    )
  return (
    <SecretNotice secret={app.client_secret} onDone={onDone}>
      <p>
        {app.name} was created. {open} for its client ID and URLs.
      </p>
    </SecretNotice>
  )
}
