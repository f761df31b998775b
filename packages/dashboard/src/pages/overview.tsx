import { api } from '../api.ts'
import { CopyButton } from '../components/copy-button.tsx'
import { DailyChart } from '../components/daily-chart.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import type { Instance, InstanceStats } from '../types.ts'

/** The values every integration guide asks for, and how the instance is used. */
export function Overview() {
  const { data, error } = useLoad(
    () =>
      Promise.all([
        api<Instance>('GET', '/v1/instance'),
        api<InstanceStats>('GET', '/v1/instance/stats?days=30'),
      ]),
    [],
  )
  const [instance, stats] = data ?? []
  // The dashboard is served by the instance itself: its origin is the Frontend API's unless the
  // instance says otherwise.
  const url = (instance?.frontend_api_url ?? window.location.origin).replace(/\/+$/, '')
  const values: [string, string | undefined][] = [
    ['Frontend API URL', instance && url],
    ['Publishable key', instance?.publishable_key],
    ['JWKS URL', instance && `${url}/.well-known/jwks.json`],
    ['Discovery URL', instance && `${url}/.well-known/openid-configuration`],
  ]
  return (
    <>
      <PageTitle title="Overview" />
      <ErrorText message={error} />
      <section className="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">Connect your app</h2>
        <dl className="values">
          {values.map(([label, value]) => (
            <div key={label} className="value-row">
              <dt>{label}</dt>
              <dd>
                <code data-testid={label}>{value ?? '…'}</code>
                {value && <CopyButton value={value} label={label} />}
              </dd>
            </div>
          ))}
        </dl>
      </section>
      <section className="card" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Usage</h2>
        <dl className="counts">
          <div>
            <dt>Users</dt>
            <dd data-testid="users-count">{stats?.users ?? '…'}</dd>
          </div>
          <div>
            <dt>Active sessions</dt>
            <dd data-testid="sessions-count">{stats?.active_sessions ?? '…'}</dd>
          </div>
        </dl>
        <DailyChart days={stats?.days} />
      </section>
    </>
  )
}
