import { useState } from 'react'
import { api, qs } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Pager } from '../components/pager.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import type { AuditEvent, Paginated } from '../types.ts'

const LIMIT = 25

/** Who changed what, and when: every change made with an operator credential, newest first. */
export function Audit() {
  const [offset, setOffset] = useState(0)
  const { data, error } = useLoad(
    () =>
      api<Paginated<AuditEvent>>(
        'GET',
        `/v1/audit_events${qs({ limit: LIMIT, offset, paginated: 'true' })}`,
      ),
    [offset],
  )
  return (
    <>
      <PageTitle title="Audit log" />
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Operator</th>
              <th scope="col">Action</th>
              <th scope="col" className="wide-only">
                Target
              </th>
              <th scope="col">Status</th>
              <th scope="col" className="wide-only">
                IP address
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.data.map((e) => (
              <tr key={e.id}>
                <td>{when(e.created_at)}</td>
                <td>{e.actor.email_address ?? e.actor.id ?? '—'}</td>
                <td className="mono small">{e.action}</td>
                <td className="wide-only mono small">{e.target_id ?? '—'}</td>
                <td>{e.status_code}</td>
                <td className="wide-only">{e.ip ?? '—'}</td>
              </tr>
            ))}
            {data && data.data.length === 0 && (
              <tr>
                <td colSpan={6}>Nothing recorded yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager
        label="Audit log"
        offset={offset}
        limit={LIMIT}
        total={data?.total_count ?? 0}
        shown={data?.data.length ?? 0}
        onChange={setOffset}
      />
    </>
  )
}
