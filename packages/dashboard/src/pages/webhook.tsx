import { useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { useConfirm } from '../components/confirm-dialog.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Check, SettingsForm } from '../components/settings-form.tsx'
import { useLoad } from '../components/use-load.ts'
import { Deliveries } from '../components/webhook-deliveries.tsx'
import { EndpointStatus, EventChoices, SigningSecret } from '../components/webhook-fields.tsx'
import { when } from '../format.ts'
import { navigate } from '../router.ts'
import type { WebhookEndpoint } from '../types.ts'

/** `YYYY-MM-DDTHH:mm` in the browser's time zone, for a datetime-local input. */
function localInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

/** One endpoint: a test event, replays, its deliveries; its settings and signing secret; delete. */
export function WebhookPage({ id }: { id: string }) {
  const path = `/v1/webhooks/endpoints/${encodeURIComponent(id)}`
  const { data, error, setData } = useLoad(() => api<WebhookEndpoint>('GET', path), [path])
  const { confirm, dialog } = useConfirm()
  const [bump, setBump] = useState(0)
  const again = () => setBump((b) => b + 1)
  const [secret, setSecret] = useState<{ value: string; rotated: boolean } | null>(null)
  const [secretError, setSecretError] = useState<string | null>(null)
  const [note, setNote] = useState('')
  const [actionError, setActionError] = useState<string | null>(null)
  const [since, setSince] = useState(() => localInput(Date.now() - 3_600_000))

  const reveal = async () => {
    setSecretError(null)
    try {
      const s = await api<{ secret: string }>('GET', `${path}/secret`)
      setSecret({ value: s.secret, rotated: false })
    } catch (e) {
      setSecretError(errorMessage(e))
    }
  }
  const sendTest = async () => {
    setActionError(null)
    setNote('')
    try {
      const sent = await api<{ event_id: string }>('POST', `${path}/test`)
      setNote(`Test event ${sent.event_id} queued.`)
      again()
    } catch (e) {
      setActionError(errorMessage(e))
    }
  }
  const replaySince = () => {
    const ms = new Date(since).getTime()
    if (!since || Number.isNaN(ms)) return setActionError('Choose the time to replay from.')
    setActionError(null)
    confirm({
      title: `Replay every event since ${when(ms)}?`,
      body: 'Each kept event this endpoint subscribes to since then is sent again (at most 10,000), with its own svix-id. Receivers that are not idempotent may act on an event twice.',
      confirmLabel: 'Replay events',
      action: async () => {
        const r = await api<{ deliveries: number }>('POST', `${path}/replay`, { since: ms })
        setNote(`${r.deliveries} ${r.deliveries === 1 ? 'event' : 'events'} queued again.`)
        again()
      },
    })
  }

  return (
    <>
      <p className="crumb">
        <Link to="webhooks">Webhooks</Link>
      </p>
      <PageTitle title={data?.description || 'Webhook endpoint'} />
      <ErrorText message={error} />
      {data ? (
        <>
          <p className="row wrap-anywhere">
            <code>{data.url}</code> <EndpointStatus endpoint={data} />
          </p>
          <p className="muted small">
            Created {when(data.created_at)}
            {data.failing_since ? ` · failing since ${when(data.failing_since)}` : ''}
          </p>
          <section className="card stack" aria-labelledby="send-heading">
            <h2 id="send-heading">Test and replay</h2>
            <div className="row">
              <button type="button" className="primary" onClick={sendTest}>
                Send test event
              </button>
              <span className="muted small">
                A <code>webhook.test</code> event, to this endpoint only.
              </span>
            </div>
            <div className="row">
              <label className="grow">
                Replay everything since
                <input
                  type="datetime-local"
                  value={since}
                  onChange={(e) => setSince(e.target.value)}
                />
              </label>
              <button type="button" onClick={replaySince}>
                Replay events
              </button>
            </div>
            <ErrorText message={actionError} />
            <p className="muted small" aria-live="polite">
              {note}
            </p>
          </section>
          <Deliveries path={path} bump={bump} onReplayed={again} />
          <Settings key={data.id} endpoint={data} path={path} onSaved={setData} />
          <section className="card" aria-labelledby="secret-heading">
            <h2 id="secret-heading">Signing secret</h2>
            <p className="muted">
              Every delivery is signed with it. Rotating makes a new one; the old one keeps signing
              beside it for 24 hours, so receivers can move over without missing a delivery.
            </p>
            <div className="row">
              {secret && !secret.rotated ? (
                <button type="button" onClick={() => setSecret(null)}>
                  Hide signing secret
                </button>
              ) : (
                <button type="button" onClick={reveal}>
                  Reveal signing secret
                </button>
              )}
              <button
                type="button"
                className="danger"
                onClick={() =>
                  confirm({
                    title: 'Rotate the signing secret?',
                    body: 'A new secret signs from now on. The current one keeps signing beside it for 24 hours, then stops: receivers must move to the new one by then.',
                    confirmLabel: 'Rotate secret',
                    action: async () => {
                      const { secret: value, ...row } = await api<WebhookEndpoint>(
                        'POST',
                        `${path}/rotate_secret`,
                      )
                      if (value) setSecret({ value, rotated: true })
                      setData(row)
                    },
                  })
                }
              >
                Rotate secret
              </button>
            </div>
            <ErrorText message={secretError} />
            {secret && (
              <SigningSecret secret={secret.value} onDone={() => setSecret(null)}>
                {secret.rotated && (
                  <p>The new secret. The previous one still signs for 24 hours.</p>
                )}
              </SigningSecret>
            )}
          </section>
          <section className="card" aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete endpoint</h2>
            <p className="muted">Deleting it also deletes its deliveries. Events stop at once.</p>
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm({
                  title: 'Delete this endpoint?',
                  body: `${data.url} gets no more events, and its delivery history is deleted. This cannot be undone.`,
                  confirmLabel: 'Delete endpoint',
                  action: async () => {
                    await api('DELETE', path)
                    navigate('webhooks')
                  },
                })
              }
            >
              Delete endpoint
            </button>
          </section>
        </>
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
      {dialog}
    </>
  )
}

function Settings({
  endpoint,
  path,
  onSaved,
}: {
  endpoint: WebhookEndpoint
  path: string
  onSaved(ep: WebhookEndpoint): void
}) {
  const [url, setUrl] = useState(endpoint.url)
  const [description, setDescription] = useState(endpoint.description)
  const [types, setTypes] = useState<string[]>(endpoint.event_types ?? [])
  const [enabled, setEnabled] = useState(endpoint.enabled)
  const save = async () =>
    onSaved(
      await api<WebhookEndpoint>('PATCH', path, {
        url: url.trim(),
        description: description.trim(),
        event_types: types.length ? types : null,
        enabled,
      }),
    )
  return (
    <SettingsForm title="Settings" saveLabel="Save endpoint" save={save}>
      <label>
        Endpoint URL
        <input
          required
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          maxLength={2048}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
      </label>
      <label>
        Description (optional)
        <input
          maxLength={256}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      <EventChoices value={types} onChange={setTypes} />
      <Check
        label="Enabled (off: nothing is sent to it; “Replay events” can send what it missed)"
        checked={enabled}
        onChange={setEnabled}
      />
    </SettingsForm>
  )
}
