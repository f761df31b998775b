import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import {
  type ConnectionDraft,
  ConnectionFields,
  createBody,
  EMPTY_DRAFT,
} from '../components/connection-fields.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import {
  connectionPath,
  PROVIDERS,
  providerInfo,
  providerName,
  RedirectUri,
  redirectUriOf,
} from '../components/social-providers.tsx'
import { useLoad } from '../components/use-load.ts'
import { navigate } from '../router.ts'
import type { Instance, OAuthConnection } from '../types.ts'

/** Social connections ("Continue with Google"): the list, and a new one for a chosen provider. */
export function SocialConnections() {
  const { data, error } = useLoad(() => api<OAuthConnection[]>('GET', '/v1/oauth_connections'), [])
  const instance = useLoad(() => api<Instance>('GET', '/v1/instance'), [])
  const uri = instance.data?.frontend_api_url && redirectUriOf(instance.data.frontend_api_url)
  return (
    <>
      <PageTitle title="Social sign-in" />
      <p className="muted">
        The providers users may sign in and sign up with (“Continue with Google”). The sign-in
        pages, Latchkey’s UI and Clerk’s offer a button for each enabled one.
      </p>
      <ErrorText message={error ?? instance.error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Social connections</caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Client ID</th>
              <th scope="col">Status</th>
              <th scope="col" className="wide-only">
                Scopes
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={connectionPath(c)}>{providerName(c.provider)}</Link>
                  <div className="mono small muted">{c.strategy}</div>
                </td>
                <td className="mono small">{c.client_id}</td>
                <td>
                  {c.enabled ? (
                    <span className="badge">Enabled</span>
                  ) : (
                    <span className="badge warn">Disabled</span>
                  )}
                </td>
                <td className="wide-only mono small">{c.scopes}</td>
              </tr>
            ))}
            {data && data.length === 0 && (
              <tr>
                <td colSpan={4}>No social connections yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <CreateConnection uri={uri || undefined} taken={new Set(data?.map((c) => c.provider))} />
    </>
  )
}

function CreateConnection({ uri, taken }: { uri: string | undefined; taken: Set<string> }) {
  const [picked, setKey] = useState(PROVIDERS[0]?.key ?? 'google')
  // One connection per provider: one already added is not offered (custom ones never run out).
  const key = taken.has(picked) ? (PROVIDERS.find((p) => !taken.has(p.key))?.key ?? picked) : picked
  const [slug, setSlug] = useState('')
  const [draft, setDraft] = useState<ConnectionDraft>(EMPTY_DRAFT)
  const [enabled, setEnabled] = useState(true)
  const [createError, setCreateError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const provider = providerInfo(key)
  const providerKey = key === 'custom' ? `custom_${slug.trim()}` : key
  const create = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setCreateError(null)
    try {
      const made = await api<OAuthConnection>('POST', '/v1/oauth_connections', {
        provider: providerKey,
        ...createBody(provider, draft),
        enabled,
      })
      navigate(connectionPath(made))
    } catch (err) {
      setCreateError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby="new-connection-heading">
      <h2 id="new-connection-heading">Add a social connection</h2>
      <form className="stack" onSubmit={create}>
        <div className="grid-form">
          <label>
            Provider
            <select value={key} onChange={(e) => setKey(e.target.value)}>
              {PROVIDERS.map((p) => (
                <option key={p.key} value={p.key} disabled={taken.has(p.key)}>
                  {p.name}
                  {taken.has(p.key) ? ' (added)' : ''}
                </option>
              ))}
            </select>
          </label>
          {key === 'custom' && (
            <label>
              Key (custom_…)
              <input
                required
                maxLength={40}
                pattern="[a-z0-9][a-z0-9_\-]*"
                title="Lowercase letters, digits, _ and -"
                spellCheck={false}
                autoComplete="off"
                placeholder="acme"
                value={slug}
                onChange={(e) => setSlug(e.target.value)}
              />
            </label>
          )}
        </div>
        {key === 'custom' && (
          <p className="muted small">
            The strategy is <code>oauth_{providerKey}</code>; its button says “Continue with{' '}
            {slug.trim() ? providerName(providerKey) : '…'}”.
          </p>
        )}
        <RedirectUri uri={uri} provider={provider} />
        <ConnectionFields provider={provider} draft={draft} onChange={setDraft} editing={false} />
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled: offer it on the sign-in and sign-up pages now
        </label>
        <ErrorText message={createError} />
        <button type="submit" className="primary" disabled={busy}>
          Add connection
        </button>
      </form>
    </section>
  )
}
