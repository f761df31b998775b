import { api } from '../api.ts'
import type { ConfirmRequest } from '../components/confirm-dialog.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import type { Session } from '../types.ts'

/** Browser and OS from the session's latest activity, when the Backend API has it. */
function device(s: Session): string {
  const a = s.latest_activity
  if (!a) return 'Unknown device'
  const browser = [a.browser_name, a.browser_version].filter(Boolean).join(' ')
  const parts = [browser, a.os ?? a.device_type].filter(Boolean)
  return parts.length > 0 ? parts.join(' on ') : 'Unknown device'
}

function place(s: Session): string {
  const a = s.latest_activity
  if (!a) return '—'
  const where = [a.city, a.country].filter(Boolean).join(', ')
  return [a.ip_address, where && `(${where})`].filter(Boolean).join(' ') || '—'
}

/** The user's active sessions, each revocable (after confirming). */
export function UserSessions({
  userId,
  confirm,
}: {
  userId: string
  confirm(r: ConfirmRequest): void
}) {
  const { data, error, reload } = useLoad(
    () => api<Session[]>('GET', `/v1/sessions?user_id=${encodeURIComponent(userId)}&status=active`),
    [userId],
  )
  const revoke = (s: Session) =>
    confirm({
      title: 'Revoke this session?',
      body: `The device (${device(s)}) is signed out at its next request.`,
      confirmLabel: 'Revoke session',
      action: async () => {
        await api('POST', `/v1/sessions/${encodeURIComponent(s.id)}/revoke`)
        reload()
      },
    })
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Active sessions</h2>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col" className="wide-only">
                IP address
              </th>
              <th scope="col">Last active</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.map((s) => (
              <tr key={s.id}>
                <td>
                  {device(s)}
                  <div className="muted small mono">{s.id}</div>
                </td>
                <td className="wide-only">{place(s)}</td>
                <td>{when(s.last_active_at)}</td>
                <td className="right">
                  <button
                    type="button"
                    className="small danger"
                    aria-label={`Revoke session ${s.id}`}
                    onClick={() => revoke(s)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
            {data && data.length === 0 && (
              <tr>
                <td colSpan={4}>No active sessions.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}
