import { type ReactNode, useId } from 'react'
import type { WebhookEndpoint } from '../types.ts'
import { CopyButton } from './copy-button.tsx'

/**
 * The event types the Backend API accepts in `event_types` (the server's WEBHOOK_EVENT_TYPES,
 * Clerk's names), in its order. e2e/dashboard-webhooks.test.ts checks the two lists agree.
 */
export const EVENT_TYPES = [
  { type: 'user.created', hint: 'a sign-up, or POST /v1/users' },
  { type: 'user.updated', hint: 'any change to what GET /v1/users/{id} shows' },
  { type: 'user.deleted', hint: '' },
  { type: 'email.created', hint: 'every message queued; carries live codes and links' },
  { type: 'session.created', hint: 'every sign-in and sign-up' },
  { type: 'session.ended', hint: 'sign-out' },
  { type: 'session.removed', hint: '' },
  { type: 'session.revoked', hint: 'revoked, or ended by a ban, a lock or a password change' },
] as const

/** What an endpoint's filter takes, in a few words. */
export function filterSummary(types: string[] | null): string {
  if (!types || types.length === 0) return 'All events except email.created'
  if (types.length <= 3) return types.join(', ')
  return `${types.length} event types`
}

/** The event filter as checkboxes; none checked means the API's default. */
export function EventChoices({
  value,
  onChange,
}: {
  value: string[]
  onChange(types: string[]): void
}) {
  const hintId = useId()
  const chosen = new Set(value)
  const toggle = (type: string, on: boolean) => {
    const next = new Set(chosen)
    if (on) next.add(type)
    else next.delete(type)
    onChange(EVENT_TYPES.map((e) => e.type).filter((t) => next.has(t)))
  }
  return (
    <fieldset className="stack" aria-describedby={hintId}>
      <legend>Events</legend>
      <p className="muted small" id={hintId}>
        None checked: every event except <code>email.created</code>, which carries live sign-in
        codes and links and goes only to an endpoint that names it.
      </p>
      {EVENT_TYPES.map((e) => (
        <label key={e.type} className="check">
          <input
            type="checkbox"
            checked={chosen.has(e.type)}
            onChange={(ev) => toggle(e.type, ev.target.checked)}
          />
          <span>
            <code>{e.type}</code> {e.hint && <span className="muted small">{e.hint}</span>}
          </span>
        </label>
      ))}
    </fieldset>
  )
}

/** A signing secret, with what a receiver does with it. */
export function SigningSecret({
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
        <strong>Configure your receiver with this signing secret.</strong> Receivers verify every
        delivery with it (<code>new Webhook(secret).verify(…)</code> from <code>svix</code>).
      </p>
      <p className="row">
        <code className="mono secret wrap-anywhere" data-testid="signing-secret">
          {secret}
        </code>
        <CopyButton value={secret} label="signing secret" />
      </p>
      {children}
      <button type="button" className="small" onClick={onDone}>
        Done
      </button>
    </div>
  )
}

/** A duration in milliseconds for people: `—` for none. */
export function age(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${(ms / 86_400_000).toFixed(1)} days`
}

/** Enabled, disabled by the operator, or disabled by the server after days of failures. */
export function EndpointStatus({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled)
    return endpoint.failing_since ? (
      <span className="badge warn">Enabled, failing</span>
    ) : (
      <span className="badge">Enabled</span>
    )
  return (
    <span className="badge bad">
      {endpoint.disabled_reason === 'failing' ? 'Disabled: kept failing' : 'Disabled'}
    </span>
  )
}
