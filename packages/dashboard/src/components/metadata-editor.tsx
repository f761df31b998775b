import { type FormEvent, useId, useState } from 'react'
import { errorMessage } from '../api.ts'
import { ErrorText } from './error-text.tsx'

/** What a metadata (or claims) editor's text must be: a JSON object. The object or the problem. */
export function parseMetadata(
  text: string,
  what = 'Metadata',
): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text)
  } catch (e) {
    return { problem: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: `${what} must be a JSON object, like {"plan": "pro"}.` }
  return { value: value as Record<string, unknown> }
}

/**
 * One metadata field (public, private or unsafe) as JSON text, checked before it is sent: a
 * problem is shown beside the field and nothing is saved.
 */
export function MetadataEditor(props: {
  kind: 'public' | 'private' | 'unsafe'
  hint: string
  value: Record<string, unknown>
  save(value: Record<string, unknown>): Promise<void>
}) {
  const [text, setText] = useState(() => JSON.stringify(props.value, null, 2))
  const [problem, setProblem] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)
  const id = useId()
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setSaved(false)
    const parsed = parseMetadata(text)
    if ('problem' in parsed) return setProblem(parsed.problem)
    setProblem(null)
    setBusy(true)
    try {
      await props.save(parsed.value)
      setText(JSON.stringify(parsed.value, null, 2))
      setSaved(true)
    } catch (err) {
      setProblem(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }
  const label = `${props.kind[0]?.toUpperCase()}${props.kind.slice(1)} metadata`
  return (
    <form className="metadata" onSubmit={submit}>
      <label htmlFor={`${id}-text`}>{label}</label>
      <p className="muted small" id={`${id}-hint`}>
        {props.hint}
      </p>
      <textarea
        id={`${id}-text`}
        rows={6}
        spellCheck={false}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint${problem ? ` ${id}-problem` : ''}`}
        onChange={(e) => {
          setText(e.target.value)
          setSaved(false)
        }}
      />
      <ErrorText message={problem} id={`${id}-problem`} />
      <div className="row">
        <button type="submit" disabled={busy}>
          Save {props.kind} metadata
        </button>
        <span className="muted small" aria-live="polite">
          {saved ? 'Saved' : ''}
        </span>
      </div>
    </form>
  )
}
