import { type ReactNode, useId } from 'react'
import { CopyButton } from './copy-button.tsx'

/** The scopes the Backend API accepts for an application (Clerk's four, then OpenID Connect's). */
export const SCOPES = [
  { scope: 'profile', hint: 'name, username, picture' },
  { scope: 'email', hint: 'email address and whether it is verified' },
  { scope: 'public_metadata', hint: 'the user’s public metadata' },
  { scope: 'private_metadata', hint: 'the user’s private metadata' },
  { scope: 'openid', hint: 'an ID token (OpenID Connect)' },
  { scope: 'offline_access', hint: 'a refresh token' },
] as const

/** The textarea's lines, trimmed, blanks dropped: one redirect URI a line. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
}

/** A space-separated scope list as a set of checkboxes. */
export function ScopeChoices({
  value,
  onChange,
}: {
  value: string
  onChange(scopes: string): void
}) {
  const hintId = useId()
  const chosen = new Set(value.split(/\s+/).filter(Boolean))
  const toggle = (scope: string, on: boolean) => {
    const next = new Set(chosen)
    if (on) next.add(scope)
    else next.delete(scope)
    // Keep the API's order, so a save that changes nothing reads the same.
    onChange(
      SCOPES.map((s) => s.scope)
        .filter((s) => next.has(s))
        .join(' '),
    )
  }
  return (
    <fieldset className="stack" aria-describedby={hintId}>
      <legend>Scopes</legend>
      <p className="muted small" id={hintId}>
        What the application may ask a user to share. The user sees each one on the consent screen.
      </p>
      {SCOPES.map((s) => (
        <label key={s.scope} className="check">
          <input
            type="checkbox"
            checked={chosen.has(s.scope)}
            onChange={(e) => toggle(s.scope, e.target.checked)}
          />
          <span>
            <code>{s.scope}</code> <span className="muted small">{s.hint}</span>
          </span>
        </label>
      ))}
    </fieldset>
  )
}

/** Redirect URIs, one a line, with the rule the server applies. */
export function RedirectUrisField({
  value,
  onChange,
}: {
  value: string
  onChange(text: string): void
}) {
  const hintId = useId()
  return (
    <>
      <label>
        Redirect URIs
        <textarea
          rows={3}
          required
          spellCheck={false}
          autoComplete="off"
          placeholder="https://app.example.com/oauth/callback"
          aria-describedby={hintId}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      </label>
      <p className="muted small" id={hintId}>
        One a line. The application’s <code>redirect_uri</code> must match one exactly.
      </p>
    </>
  )
}

/** A client secret shown the one time the API answers with it. */
export function SecretNotice({
  secret,
  children,
  onDone,
}: {
  secret: string
  children?: ReactNode
  onDone(): void
}) {
  return (
    <div className="notice" role="status">
      <p>
        <strong>Copy this client secret now.</strong> It is shown only once.
      </p>
      <p className="row">
        <code className="mono secret" data-testid="client-secret">
          {secret}
        </code>
        <CopyButton value={secret} label="client secret" />
      </p>
      {children}
      <button type="button" className="small" onClick={onDone}>
        Done
      </button>
    </div>
  )
}
