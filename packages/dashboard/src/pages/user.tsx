import { useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { CopyButton } from '../components/copy-button.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { MetadataEditor } from '../components/metadata-editor.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import { fullName, userLabel, when } from '../format.ts'
import { navigate } from '../router.ts'
import type { User } from '../types.ts'
import { UserSessions } from './user-sessions.tsx'

const HINTS = {
  public: 'Readable by the user’s browser and in session tokens; only the Backend API writes it.',
  private: 'Only the Backend API reads and writes it.',
  unsafe: 'The user can read and write it from the browser: never trust it.',
} as const

/** One user: addresses, sessions, metadata, and the actions an operator takes on them. */
export function UserPage({ id }: { id: string }) {
  const path = `/v1/users/${encodeURIComponent(id)}`
  const { data: user, error, setData } = useLoad(() => api<User>('GET', path), [path])
  const { confirm, dialog } = useConfirm()
  const [actionError, setActionError] = useState<string | null>(null)

  const act = async (action: 'ban' | 'unban' | 'lock' | 'unlock') => {
    setActionError(null)
    try {
      setData(await api<User>('POST', `${path}/${action}`))
    } catch (e) {
      setActionError(errorMessage(e))
    }
  }
  if (!user)
    return (
      <>
        <PageTitle title="User" />
        <ErrorText message={error} />
        <p className="muted">{error ? <Link to="users">Back to users</Link> : 'Loading…'}</p>
      </>
    )
  const label = userLabel(user)
  const saveMetadata = (kind: keyof typeof HINTS) => async (value: Record<string, unknown>) => {
    setData(await api<User>('PATCH', path, { [`${kind}_metadata`]: value }))
  }
  return (
    <>
      <p className="crumb">
        <Link to="users">Users</Link>
      </p>
      <PageTitle title={label} />
      <p className="row">
        <code className="mono">{user.id}</code>
        <CopyButton value={user.id} label="user ID" />
        {user.banned && <span className="badge bad">Banned</span>}
        {user.locked && <span className="badge warn">Locked</span>}
      </p>
      <div className="row actions-bar">
        {user.banned ? (
          <button type="button" onClick={() => act('unban')}>
            Unban
          </button>
        ) : (
          <button
            type="button"
            className="danger"
            onClick={() =>
              confirm({
                title: `Ban ${label}?`,
                body: 'Every session of this user ends now, and they cannot sign in until unbanned.',
                confirmLabel: 'Ban user',
                action: () => act('ban'),
              })
            }
          >
            Ban
          </button>
        )}
        <button type="button" onClick={() => act(user.locked ? 'unlock' : 'lock')}>
          {user.locked ? 'Unlock' : 'Lock'}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() =>
            confirm({
              title: `Delete ${label}?`,
              body: 'The user, their addresses and sessions are deleted. This cannot be undone.',
              confirmLabel: 'Delete user',
              action: async () => {
                await api('DELETE', path)
                navigate('users')
              },
            })
          }
        >
          Delete user
        </button>
      </div>
      <ErrorText message={actionError} />
      <section className="card" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{fullName(user) || '—'}</dd>
          <dt>Username</dt>
          <dd>{user.username ?? '—'}</dd>
          <dt>External ID</dt>
          <dd>{user.external_id ?? '—'}</dd>
          <dt>Created</dt>
          <dd>{when(user.created_at)}</dd>
          <dt>Last sign-in</dt>
          <dd>{when(user.last_sign_in_at)}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="addresses-heading">
        <h2 id="addresses-heading">Addresses</h2>
        <ul className="plain">
          {user.email_addresses.map((e) => (
            <li key={e.id}>
              {e.email_address}{' '}
              {e.id === user.primary_email_address_id && <span className="badge">Primary</span>}{' '}
              <span className="muted small">
                {e.verification?.status === 'verified' ? 'verified' : 'not verified'}
              </span>
            </li>
          ))}
          {user.phone_numbers?.map((p) => (
            <li key={p.id}>{p.phone_number}</li>
          ))}
          {user.email_addresses.length === 0 && !user.phone_numbers?.length && (
            <li className="muted">No addresses.</li>
          )}
        </ul>
      </section>
      <UserSessions userId={user.id} confirm={confirm} />
      <section className="card" aria-labelledby="metadata-heading">
        <h2 id="metadata-heading">Metadata</h2>
        {(['public', 'private', 'unsafe'] as const).map((kind) => (
          <MetadataEditor
            key={`${user.id}-${kind}`}
            kind={kind}
            hint={HINTS[kind]}
            value={user[`${kind}_metadata`]}
            save={saveMetadata(kind)}
          />
        ))}
      </section>
      {dialog}
    </>
  )
}
