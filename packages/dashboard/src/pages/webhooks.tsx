import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import {
  age,
  EndpointStatus,
  EventChoices,
  filterSummary,
  SigningSecret,
} from '../components/webhook-fields.tsx'
import type { WebhookEndpoint, WebhookStats } from '../types.ts'

const endpointPath = (id: string) => `webhooks/${encodeURIComponent(id)}`

/** Webhook endpoints: the delivery lag and counts, the list, and a new one (its secret shown). */
export function Webhooks() {
  const { data, error, reload } = useLoad(
    () =>
      Promise.all([
        api<WebhookEndpoint[]>('GET', '/v1/webhooks/endpoints'),
        api<WebhookStats>('GET', '/v1/webhooks/stats'),
      ]),
    [],
  )
  const [endpoints, stats] = data ?? []
  const [created, setCreated] = useState<WebhookEndpoint | null>(null)
  return (
    <>
      <PageTitle title="Webhooks" />
      <p className="muted">
        Endpoints your servers run to hear about changes (Clerk’s events, signed the Svix way). Each
        enabled endpoint gets every event its filter takes, retried until it answers 2xx.
      </p>
      <ErrorText message={error} />
      <section aria-labelledby="delivery-heading">
        <h2 id="delivery-heading">Delivery</h2>
        <dl className="counts wrap">
          <Count label="Events waiting" value={stats?.undispatched_events} />
          <Count label="Oldest waiting" value={stats && age(stats.oldest_undispatched_age_ms)} />
          <Count label="Pending deliveries" value={stats?.pending_deliveries} />
          <Count label="Oldest pending" value={stats && age(stats.oldest_pending_age_ms)} />
          <Count label="Failed" value={stats?.failed_deliveries} />
          <Count label="Succeeded" value={stats?.succeeded_deliveries} />
        </dl>
      </section>
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Status</th>
              <th scope="col" className="wide-only">
                Events
              </th>
              <th scope="col" className="wide-only">
                Pending · failed · succeeded
              </th>
            </tr>
          </thead>
          <tbody>
            {endpoints?.map((ep) => {
              const s = stats?.endpoints.find((x) => x.endpoint_id === ep.id)
              return (
                <tr key={ep.id}>
                  <td className="wrap-anywhere">
                    <Link to={endpointPath(ep.id)}>{ep.url}</Link>
                    {ep.description && <div className="muted small">{ep.description}</div>}
                  </td>
                  <td>
                    <EndpointStatus endpoint={ep} />
                  </td>
                  <td className="wide-only small">{filterSummary(ep.event_types)}</td>
                  <td className="wide-only">
                    {s ? `${s.pending} · ${s.failed} · ${s.succeeded}` : '—'}
                  </td>
                </tr>
              )
            })}
            {endpoints && endpoints.length === 0 && (
              <tr>
                <td colSpan={4}>No webhook endpoints yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <section className="card" aria-labelledby="new-endpoint-heading">
        <h2 id="new-endpoint-heading">Add endpoint</h2>
        <CreateEndpoint
          onCreated={(ep) => {
            setCreated(ep)
            reload()
          }}
        />
        {created?.secret && (
          <SigningSecret key={created.id} secret={created.secret} onDone={() => setCreated(null)}>
            <p>
              The endpoint was created. <Link to={endpointPath(created.id)}>Open it</Link> to send a
              test event; its page can reveal the secret again.
            </p>
          </SigningSecret>
        )}
      </section>
    </>
  )
}

function Count({ label, value }: { label: string; value: number | string | undefined }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value ?? '…'}</dd>
    </div>
  )
}

function CreateEndpoint({ onCreated }: { onCreated(ep: WebhookEndpoint): void }) {
  const [url, setUrl] = useState('')
  const [description, setDescription] = useState('')
  const [types, setTypes] = useState<string[]>([])
  const [createError, setCreateError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const create = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setCreateError(null)
    try {
      const ep = await api<WebhookEndpoint>('POST', '/v1/webhooks/endpoints', {
        url: url.trim(),
        description: description.trim(),
        event_types: types.length ? types : null,
      })
      setUrl('')
      setDescription('')
      setTypes([])
      onCreated(ep)
    } catch (err) {
      setCreateError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="stack" onSubmit={create}>
      {/* Text, not type=url: the API's own check (and its words) decides what a URL may be. */}
      <label>
        Endpoint URL
        <input
          required
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          maxLength={2048}
          placeholder="https://api.example.com/webhooks/latchkey"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
      </label>
      <label>
        Description (optional)
        <input
          maxLength={256}
          placeholder="e.g. user sync"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      <EventChoices value={types} onChange={setTypes} />
      <ErrorText message={createError} />
      <button type="submit" className="primary" disabled={busy}>
        Add endpoint
      </button>
    </form>
  )
}
