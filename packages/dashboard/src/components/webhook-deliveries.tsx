import { useEffect, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { when } from '../format.ts'
import type { WebhookDelivery } from '../types.ts'
import { ErrorText } from './error-text.tsx'
import { useLoad } from './use-load.ts'

const LIMIT = 25
const STATUS_BADGE = { pending: 'badge warn', succeeded: 'badge', failed: 'badge bad' } as const

/**
 * An endpoint's newest deliveries with their attempts (`…/deliveries`), each replayable. While
 * one is pending (the in-process worker has it queued) the list asks again every second, so a
 * test event or a replay shows its outcome without a reload; `bump` asks at once.
 */
export function Deliveries({
  path,
  bump,
  onReplayed,
}: {
  path: string
  bump: number
  onReplayed(): void
}) {
  const { data, error, reload } = useLoad(
    () => api<WebhookDelivery[]>('GET', `${path}/deliveries?limit=${LIMIT}`),
    [path, bump],
  )
  const [note, setNote] = useState('')
  const [replayError, setReplayError] = useState<string | null>(null)
  const pending = data?.some((d) => d.status === 'pending') ?? false
  // biome-ignore lint/correctness/useExhaustiveDependencies: each answer (`data`) that is still pending asks again
  useEffect(() => {
    if (!pending) return
    const t = setTimeout(reload, 1000)
    return () => clearTimeout(t)
  }, [pending, data, reload])
  const replay = async (d: WebhookDelivery) => {
    setReplayError(null)
    setNote('')
    try {
      await api('POST', `${path}/replay`, { event_id: d.event_id })
      setNote(`${d.event_type} ${d.event_id} queued again.`)
      onReplayed()
    } catch (e) {
      setReplayError(errorMessage(e))
    }
  }
  return (
    <section className="card" aria-labelledby="deliveries-heading">
      <div className="row">
        <h2 id="deliveries-heading" className="grow">
          Recent deliveries
        </h2>
        <button type="button" className="small" onClick={reload}>
          Refresh
        </button>
      </div>
      <p className="muted small" aria-live="polite">
        {note || `The newest ${LIMIT}, each with its attempts. Replaying sends the same svix-id.`}
      </p>
      <ErrorText message={error ?? replayError} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Recent deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Response</th>
              <th scope="col" className="wide-only">
                Time
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.map((d) => (
              <tr key={d.id} data-event-id={d.event_id}>
                <td>
                  <code>{d.event_type}</code>
                  <div className="mono small muted wrap-anywhere">{d.event_id}</div>
                </td>
                <td>
                  <span className={STATUS_BADGE[d.status]}>{d.status}</span>
                  <div className="small muted">
                    {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
                  </div>
                </td>
                <td className="wrap-anywhere">
                  <Response d={d} />
                </td>
                <td className="wide-only small">{when(d.delivered_at ?? d.updated_at)}</td>
                <td>
                  <button
                    type="button"
                    className="small"
                    aria-label={`Replay ${d.event_type} ${d.event_id}`}
                    onClick={() => replay(d)}
                  >
                    Replay
                  </button>
                </td>
              </tr>
            ))}
            {data && data.length === 0 && (
              <tr>
                <td colSpan={5}>Nothing delivered yet. Send a test event.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}

/** The last answer (code and excerpt, or the error), and every attempt on demand. */
function Response({ d }: { d: WebhookDelivery }) {
  const excerpt = d.last_response ?? d.last_error ?? ''
  return (
    <>
      <span className="mono">{d.last_status_code ?? '—'}</span>{' '}
      <span className="small muted">{excerpt.slice(0, 80)}</span>
      {d.attempt_log.length > 0 && (
        <details className="small">
          <summary>Attempts</summary>
          <ol className="attempts">
            {d.attempt_log.map((a) => (
              <li key={a.attempt}>
                {when(a.created_at)}: <span className="mono">{a.status_code ?? '—'}</span>{' '}
                {a.error ?? a.response_excerpt ?? ''} ({a.duration_ms} ms)
              </li>
            ))}
          </ol>
        </details>
      )}
      {d.status === 'pending' && d.next_attempt_at && d.attempts > 0 && (
        <div className="small muted">Next attempt {when(d.next_attempt_at)}</div>
      )}
    </>
  )
}
