import { useEffect, useId, useState } from 'react'
import { api, qs } from '../api.ts'
import { userLabel } from '../format.ts'
import type { User } from '../types.ts'
import { useLoad } from './use-load.ts'

/**
 * Chooses the user a preview renders for: a search (email, username, id, external id) and the
 * first matches, newest sign-in first. Calls `onChange` with the chosen id (none while no user
 * matches).
 */
export function UserPicker({
  value,
  onChange,
  label = 'Preview for',
}: {
  value: string | null
  onChange(id: string | null): void
  label?: string
}) {
  const [query, setQuery] = useState('')
  const id = useId()
  // An array, no total: a count of every matching user on each keystroke is not needed here.
  const { data, error } = useLoad(
    () =>
      api<User[]>(
        'GET',
        `/v1/users${qs({ query: query.trim(), limit: 10, order_by: '-last_sign_in_at' })}`,
      ),
    [query],
  )
  // Keep the choice while it is still listed; else the first match. Chosen from the list shown,
  // so an older search answering late never picks a user this search did not find.
  useEffect(() => {
    if (!data) return
    const ids = data.map((u) => u.id)
    if (!value || !ids.includes(value)) onChange(ids[0] ?? null)
  }, [data, value, onChange])
  return (
    <div className="row picker">
      <label className="grow" htmlFor={`${id}-search`}>
        Find a user
        <input
          id={`${id}-search`}
          type="search"
          placeholder="Email, username, user ID or external ID"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      <label className="grow" htmlFor={`${id}-user`}>
        {label}
        <select
          id={`${id}-user`}
          value={value ?? ''}
          disabled={!data || data.length === 0}
          onChange={(e) => onChange(e.target.value || null)}
        >
          {data?.length === 0 && <option value="">No user matches</option>}
          {data?.map((u) => (
            <option key={u.id} value={u.id}>
              {userLabel(u)}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}
