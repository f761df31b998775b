import { type FormEvent, useState } from 'react'
import { api, errorMessage, qs } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Pager } from '../components/pager.tsx'
import { useLoad } from '../components/use-load.ts'
import { fullName, primaryEmail, when } from '../format.ts'
import { navigate } from '../router.ts'
import type { User } from '../types.ts'

const LIMIT = 20

/** Users: search (email, username, id, external id), paging, and "create user". */
export function Users() {
  const [draft, setDraft] = useState('')
  const [query, setQuery] = useState('')
  const [offset, setOffset] = useState(0)
  // A page asks for one row more than it shows (is there a next page?) and no total: counting a
  // million users per page is what made paging slow. The total is counted once per search.
  const page = useLoad(
    () =>
      api<User[]>(
        'GET',
        `/v1/users${qs({ query, limit: LIMIT + 1, offset, order_by: '-created_at' })}`,
      ),
    [query, offset],
  )
  const count = useLoad(
    () => api<{ total_count: number }>('GET', `/v1/users/count${qs({ query })}`),
    [query],
  )
  const rows = page.data?.slice(0, LIMIT)
  const more = (page.data?.length ?? 0) > LIMIT
  const shown = rows?.length ?? 0
  // Until the count is in (or if users came since), the pager still knows what this page shows.
  const total = Math.max(count.data?.total_count ?? 0, offset + shown + (more ? 1 : 0))
  const error = page.error ?? count.error
  const search = (e: FormEvent) => {
    e.preventDefault()
    setQuery(draft.trim())
    setOffset(0)
  }
  return (
    <>
      <PageTitle title="Users" />
      <search>
        <form className="search" onSubmit={search}>
          <label htmlFor="user-search">Search users</label>
          <input
            id="user-search"
            type="search"
            placeholder="Email, username, user ID or external ID"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit">Search</button>
        </form>
      </search>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">
            {query ? `Users matching “${query}”` : 'All users, newest first'}
          </caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col" className="wide-only">
                Name
              </th>
              <th scope="col" className="wide-only">
                Created
              </th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((u) => (
              <tr key={u.id}>
                <td>
                  <Link to={`users/${encodeURIComponent(u.id)}`}>
                    {primaryEmail(u) ?? u.username ?? u.id}
                  </Link>
                  <div className="muted small mono">{u.id}</div>
                </td>
                <td className="wide-only">{fullName(u) || '—'}</td>
                <td className="wide-only">{when(u.created_at)}</td>
                <td>{u.banned ? 'Banned' : u.locked ? 'Locked' : 'Active'}</td>
              </tr>
            ))}
            {rows && rows.length === 0 && (
              <tr>
                <td colSpan={4}>No users{query ? ' match this search' : ' yet'}.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager
        label="Users"
        offset={offset}
        limit={LIMIT}
        total={total}
        shown={shown}
        onChange={setOffset}
      />
      <CreateUser />
    </>
  )
}

function CreateUser() {
  const [email, setEmail] = useState('')
  const [firstName, setFirstName] = useState('')
  const [lastName, setLastName] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const user = await api<User>('POST', '/v1/users', {
        email_address: [email.trim()],
        ...(firstName.trim() ? { first_name: firstName.trim() } : {}),
        ...(lastName.trim() ? { last_name: lastName.trim() } : {}),
        ...(password ? { password } : { skip_password_requirement: true }),
      })
      navigate(`users/${encodeURIComponent(user.id)}`)
    } catch (err) {
      setError(errorMessage(err))
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby="create-user-heading">
      <h2 id="create-user-heading">Create user</h2>
      <form className="grid-form" onSubmit={submit}>
        <label>
          Email address
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          First name
          <input value={firstName} onChange={(e) => setFirstName(e.target.value)} />
        </label>
        <label>
          Last name
          <input value={lastName} onChange={(e) => setLastName(e.target.value)} />
        </label>
        <label>
          Password (optional)
          <input
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorText message={error} />
        <div>
          <button type="submit" className="primary" disabled={busy}>
            Create user
          </button>
        </div>
      </form>
    </section>
  )
}
