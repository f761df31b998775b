import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { CopyButton } from '../components/copy-button.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import type { SecretKey } from '../types.ts'

/** Secret keys: issue with a label (the secret shown once), revoke. */
export function ApiKeys() {
  const { data, error, reload } = useLoad(() => api<SecretKey[]>('GET', '/v1/secret_keys'), [])
  const { confirm, dialog } = useConfirm()
  const [label, setLabel] = useState('')
  const [issued, setIssued] = useState<SecretKey | null>(null)
  const [issueError, setIssueError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const issue = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setIssueError(null)
    try {
      setIssued(
        await api<SecretKey>(
          'POST',
          '/v1/secret_keys',
          label.trim() ? { label: label.trim() } : {},
        ),
      )
      setLabel('')
      reload()
    } catch (err) {
      setIssueError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <PageTitle title="API keys" />
      <p className="muted">
        Secret keys authenticate your servers to the Backend API. Keep them out of browsers and
        source control.
      </p>
      <section className="card" aria-labelledby="issue-heading">
        <h2 id="issue-heading">Issue a secret key</h2>
        <form className="row" onSubmit={issue}>
          <label className="grow">
            Label
            <input
              maxLength={100}
              placeholder="e.g. production API server"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Issue secret key
          </button>
        </form>
        <ErrorText message={issueError} />
        {issued?.secret && (
          <div className="notice" role="status">
            <p>
              <strong>Copy this secret now.</strong> It is shown only once.
            </p>
            <p className="row">
              <code className="mono secret" data-testid="issued-secret">
                {issued.secret}
              </code>
              <CopyButton value={issued.secret} label="secret key" />
            </p>
            <button type="button" className="small" onClick={() => setIssued(null)}>
              Done
            </button>
          </div>
        )}
      </section>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Secret keys</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Key</th>
              <th scope="col" className="wide-only">
                Created
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.map((k) => (
              <tr key={k.id}>
                <td>{k.label || <span className="muted">No label</span>}</td>
                <td className="mono small">{k.prefix ? `${k.prefix}…` : k.id}</td>
                <td className="wide-only">{when(k.created_at)}</td>
                <td className="right">
                  <button
                    type="button"
                    className="small danger"
                    aria-label={`Revoke key ${k.label || k.id}`}
                    onClick={() =>
                      confirm({
                        title: `Revoke ${k.label || 'this key'}?`,
                        body: 'Servers using this key are refused from their next request. This cannot be undone.',
                        confirmLabel: 'Revoke key',
                        action: async () => {
                          await api('DELETE', `/v1/secret_keys/${encodeURIComponent(k.id)}`)
                          reload()
                        },
                      })
                    }
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
            {data && data.length === 0 && (
              <tr>
                <td colSpan={4}>No stored secret keys.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {dialog}
    </>
  )
}
