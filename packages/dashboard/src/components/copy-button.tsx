import { useEffect, useState } from 'react'

/** Copies `value` to the clipboard; says so (politely) for screen readers. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  useEffect(() => {
    if (state === 'idle') return
    const t = setTimeout(() => setState('idle'), 2000)
    return () => clearTimeout(t)
  }, [state])
  const copy = () => {
    navigator.clipboard.writeText(value).then(
      () => setState('copied'),
      () => setState('failed'),
    )
  }
  return (
    <span className="copy">
      <button type="button" className="small" onClick={copy} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span className="copy-status" aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy' : ''}
      </span>
    </span>
  )
}
