import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { ClaimsField } from '../components/claims-field.tsx'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { CopyButton } from '../components/copy-button.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { parseMetadata } from '../components/metadata-editor.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { PreviewPanel, useTokenPreview } from '../components/token-preview.tsx'
import { useLoad } from '../components/use-load.ts'
import { UserPicker } from '../components/user-picker.tsx'
import { navigate } from '../router.ts'
import type { JwtTemplate } from '../types.ts'

/** The algorithms a template's own key may use (the Backend API's `signing_algorithm`). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'EdDSA', 'HS256'] as const

/** One template: name, claims with a live preview, lifetime, clock skew, signing key; delete. */
export function JwtTemplatePage({ id }: { id: string }) {
  const path = `/v1/jwt_templates/${encodeURIComponent(id)}`
  const { data, error, setData } = useLoad(() => api<JwtTemplate>('GET', path), [path])
  const [saved, setSaved] = useState(false)
  return (
    <>
      <p className="crumb">
        <Link to="jwt-templates">JWT templates</Link>
      </p>
      <PageTitle title={data ? `Template ${data.name}` : 'JWT template'} />
      <ErrorText message={error} />
      <p className="muted small" role="status">
        {saved ? 'Saved: new tokens of this template carry these settings.' : ''}
      </p>
      {data ? (
        <Editor
          key={data.updated_at}
          template={data}
          path={path}
          onSaved={(t) => {
            setData(t)
            setSaved(true)
          }}
        />
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
    </>
  )
}

function Editor({
  template,
  path,
  onSaved,
}: {
  template: JwtTemplate
  path: string
  onSaved(t: JwtTemplate): void
}) {
  const [name, setName] = useState(template.name)
  const [text, setText] = useState(() => JSON.stringify(template.claims, null, 2))
  const [lifetime, setLifetime] = useState(String(template.lifetime))
  const [skew, setSkew] = useState(String(template.allowed_clock_skew))
  const [custom, setCustom] = useState(template.custom_signing_key)
  const [algorithm, setAlgorithm] = useState(template.signing_algorithm)
  const [key, setKey] = useState('')
  const [userId, setUserId] = useState<string | null>(null)
  const [saveError, setSaveError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const { confirm, dialog } = useConfirm()
  const times = {
    ...(/^\d+$/.test(lifetime) ? { lifetime: Number(lifetime) } : {}),
    ...(/^\d+$/.test(skew) ? { allowed_clock_skew: Number(skew) } : {}),
  }
  const { preview, problem } = useTokenPreview('/v1/jwt_templates/preview', text, userId, times)

  /** Signing changes only when asked: the stored key is never shown, so it is kept unless replaced. */
  const signing = () => {
    if (!custom) return template.custom_signing_key ? { custom_signing_key: false } : {}
    if (!key.trim() && template.custom_signing_key && algorithm === template.signing_algorithm)
      return {}
    if (!key.trim()) throw new Error('Paste the signing key: a template’s own key is required.')
    return { custom_signing_key: true, signing_algorithm: algorithm, signing_key: key }
  }
  const save = async (e: FormEvent) => {
    e.preventDefault()
    setSaveError(null)
    const parsed = parseMetadata(text, 'Claims')
    if ('problem' in parsed) return setSaveError(parsed.problem)
    setBusy(true)
    try {
      onSaved(
        await api<JwtTemplate>('PATCH', path, {
          name: name.trim(),
          claims: parsed.value,
          lifetime: Number(lifetime),
          allowed_clock_skew: Number(skew),
          ...signing(),
        }),
      )
    } catch (err) {
      setSaveError(errorMessage(err))
      setBusy(false)
    }
  }
  return (
    <>
      <p className="row">
        <code className="mono">{template.id}</code>
        <CopyButton value={template.id} label="template ID" />
      </p>
      <div className="split">
        <form className="card stack" onSubmit={save} aria-label="Template settings">
          <label>
            Name
            <input
              required
              maxLength={64}
              value={name}
              aria-describedby="template-name-hint"
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <p className="muted small" id="template-name-hint">
            Apps ask for it by name: <code>{`getToken({ template: "${name.trim()}" })`}</code>
          </p>
          <ClaimsField value={text} onChange={setText} problem={problem} />
          <div className="grid-form">
            <label>
              Lifetime (seconds)
              <input
                type="number"
                min={30}
                max={86400}
                required
                value={lifetime}
                onChange={(e) => setLifetime(e.target.value)}
              />
            </label>
            <label>
              Allowed clock skew (seconds)
              <input
                type="number"
                min={0}
                max={300}
                required
                value={skew}
                onChange={(e) => setSkew(e.target.value)}
              />
            </label>
          </div>
          <fieldset className="stack">
            <legend>Signing</legend>
            <label className="check">
              <input
                type="checkbox"
                checked={custom}
                onChange={(e) => setCustom(e.target.checked)}
              />
              Sign with this template’s own key
            </label>
            {!custom && (
              <p className="muted small">
                Signed with the instance key (RS256), verifiable with the instance’s JWKS.
              </p>
            )}
            {custom && (
              <>
                <label>
                  Algorithm
                  <select value={algorithm} onChange={(e) => setAlgorithm(e.target.value)}>
                    {ALGORITHMS.map((a) => (
                      <option key={a}>{a}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Signing key
                  <textarea
                    rows={5}
                    spellCheck={false}
                    autoComplete="off"
                    placeholder={
                      template.custom_signing_key
                        ? 'Stored and never shown. Paste a new key to replace it.'
                        : 'A PEM private key, or the HS256 secret'
                    }
                    value={key}
                    onChange={(e) => setKey(e.target.value)}
                  />
                </label>
              </>
            )}
          </fieldset>
          <ErrorText message={saveError} />
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              Save template
            </button>
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm({
                  title: `Delete template ${template.name}?`,
                  body: 'Apps asking for a token of this template are refused from now on. This cannot be undone.',
                  confirmLabel: 'Delete template',
                  action: async () => {
                    await api('DELETE', path)
                    navigate('jwt-templates')
                  },
                })
              }
            >
              Delete template
            </button>
          </div>
        </form>
        <div>
          <UserPicker value={userId} onChange={setUserId} />
          <PreviewPanel preview={preview} problem={problem} userId={userId} />
        </div>
      </div>
      {dialog}
    </>
  )
}
