import { type FormEvent, type ReactNode, useId, useState } from 'react'
import { errorMessage } from '../api.ts'
import { ErrorText } from './error-text.tsx'

/**
 * One section of settings saved on its own: a card with a heading, its fields, a save button,
 * the Backend API's error when it refuses (nothing is saved then) and "Saved" when it accepts.
 */
export function SettingsForm({
  title,
  hint,
  saveLabel,
  save,
  children,
}: {
  title: string
  hint?: ReactNode
  saveLabel: string
  save(): Promise<void>
  children: ReactNode
}) {
  const id = useId()
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setSaved(false)
    try {
      await save()
      setSaved(true)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {hint && <p className="muted small">{hint}</p>}
      <form className="stack" onSubmit={submit} onChange={() => setSaved(false)}>
        {children}
        <ErrorText message={error} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {saveLabel}
          </button>
          <span className="muted small" aria-live="polite">
            {saved ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </section>
  )
}

/** A labelled checkbox. */
export function Check({
  label,
  checked,
  onChange,
}: {
  label: string
  checked: boolean
  onChange(v: boolean): void
}) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  )
}
