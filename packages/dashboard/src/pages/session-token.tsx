import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { ClaimsField } from '../components/claims-field.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { parseMetadata } from '../components/metadata-editor.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { PreviewPanel, useTokenPreview } from '../components/token-preview.tsx'
import { useLoad } from '../components/use-load.ts'
import { UserPicker } from '../components/user-picker.tsx'

type Settings = { claims: Record<string, unknown> }

/** Sessions → "Customize session token": the custom claims, with a live preview for a user. */
export function SessionToken() {
  const { data, error } = useLoad(() => api<Settings>('GET', '/v1/instance/session_token'), [])
  return (
    <>
      <PageTitle title="Session token" />
      <p className="muted">
        Every session token carries these claims besides its own. Keep them small: the token travels
        in a cookie and on every request.
      </p>
      <ErrorText message={error} />
      {data ? <Editor saved={data.claims} /> : !error && <p className="muted">Loading…</p>}
    </>
  )
}

function Editor({ saved }: { saved: Record<string, unknown> }) {
  const [text, setText] = useState(() => JSON.stringify(saved, null, 2))
  const [userId, setUserId] = useState<string | null>(null)
  const [saveError, setSaveError] = useState<string | null>(null)
  const [savedNote, setSavedNote] = useState(false)
  const [busy, setBusy] = useState(false)
  const { preview, problem } = useTokenPreview('/v1/instance/session_token/preview', text, userId)
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setSavedNote(false)
    const parsed = parseMetadata(text, 'Claims')
    if ('problem' in parsed) return setSaveError(parsed.problem)
    setBusy(true)
    setSaveError(null)
    try {
      const out = await api<Settings>('PATCH', '/v1/instance/session_token', {
        claims: parsed.value,
      })
      setText(JSON.stringify(out.claims, null, 2))
      setSavedNote(true)
    } catch (err) {
      setSaveError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="split">
      <form className="card stack" onSubmit={save} aria-label="Custom session token claims">
        <ClaimsField
          value={text}
          onChange={(t) => {
            setText(t)
            setSavedNote(false)
          }}
          problem={problem}
        />
        <ErrorText message={saveError} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            Save claims
          </button>
          <span className="muted small" aria-live="polite">
            {savedNote ? 'Saved: new tokens carry these claims' : ''}
          </span>
        </div>
      </form>
      <div>
        <UserPicker value={userId} onChange={setUserId} />
        <PreviewPanel preview={preview} problem={problem} userId={userId} />
      </div>
    </div>
  )
}
