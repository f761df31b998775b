import { useId } from 'react'

/** The claims of a token as JSON text, with how shortcodes work; `problem` marks it invalid. */
export function ClaimsField({
  value,
  onChange,
  problem,
}: {
  value: string
  onChange(text: string): void
  problem: string | null
}) {
  const id = useId()
  return (
    <div>
      <label htmlFor={`${id}-claims`}>Claims</label>
      <p className="muted small" id={`${id}-hint`}>
        A JSON object. Shortcodes such as <code>{'{{user.primary_email_address}}'}</code> or{' '}
        <code>{'{{user.public_metadata.role}}'}</code> are filled in for each user. Latchkey sets{' '}
        <code>sub iss exp iat nbf jti sid azp v fva sts</code> itself.
      </p>
      <textarea
        id={`${id}-claims`}
        rows={14}
        spellCheck={false}
        value={value}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  )
}
