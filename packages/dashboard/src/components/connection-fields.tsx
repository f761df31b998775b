import { useId } from 'react'
import type { OAuthConnection } from '../types.ts'
import type { ProviderInfo } from './social-providers.tsx'

/** What the operator types for a connection; secrets are write-only (empty: not sent). */
export type ConnectionDraft = {
  issuer: string
  clientId: string
  secret: string
  teamId: string
  keyId: string
  privateKey: string
  endpointBase: string
  scopes: string
}

export const EMPTY_DRAFT: ConnectionDraft = {
  issuer: '',
  clientId: '',
  secret: '',
  teamId: '',
  keyId: '',
  privateKey: '',
  endpointBase: '',
  scopes: '',
}

/** A stored connection as a draft: its settings, never a secret (the API has none to give). */
export function draftOf(c: OAuthConnection): ConnectionDraft {
  return {
    ...EMPTY_DRAFT,
    issuer: c.issuer,
    clientId: c.client_id,
    teamId: c.team_id ?? '',
    keyId: c.key_id ?? '',
    endpointBase: c.endpoint_base_url ?? '',
    scopes: c.scopes,
  }
}

/** The fields `provider` takes, and only those: the API refuses the others. */
export function createBody(p: ProviderInfo, d: ConnectionDraft): Record<string, string> {
  const body: Record<string, string> = { client_id: d.clientId.trim() }
  if (p.issuer && d.issuer.trim()) body.issuer = d.issuer.trim()
  if (p.apple) {
    body.team_id = d.teamId.trim()
    body.key_id = d.keyId.trim()
    body.private_key = d.privateKey
  } else body.client_secret = d.secret
  if (p.endpointBase && d.endpointBase.trim()) body.endpoint_base_url = d.endpointBase.trim()
  if (d.scopes.trim()) body.scopes = d.scopes.trim()
  return body
}

/** What changed, for `PATCH`: an empty secret keeps the stored one; empty scopes the defaults. */
export function patchBody(
  p: ProviderInfo,
  c: OAuthConnection,
  d: ConnectionDraft,
): Record<string, string | null> {
  const body: Record<string, string | null> = {}
  const changed = (now: string, was: string | null) => now.trim() !== (was ?? '')
  if (changed(d.clientId, c.client_id)) body.client_id = d.clientId.trim()
  if (p.issuer && d.issuer.trim() && changed(d.issuer, c.issuer)) body.issuer = d.issuer.trim()
  if (p.apple) {
    if (changed(d.teamId, c.team_id)) body.team_id = d.teamId.trim()
    if (changed(d.keyId, c.key_id)) body.key_id = d.keyId.trim()
    if (d.privateKey) body.private_key = d.privateKey
  } else if (d.secret) body.client_secret = d.secret
  if (p.endpointBase && changed(d.endpointBase, c.endpoint_base_url))
    body.endpoint_base_url = d.endpointBase.trim() || null
  const scopes = d.scopes.trim() || p.defaultScopes
  if (scopes !== c.scopes) body.scopes = scopes
  return body
}

/** The provider's fields. `editing`: secrets say "leave empty to keep". */
export function ConnectionFields({
  provider: p,
  draft,
  onChange,
  editing,
}: {
  provider: ProviderInfo
  draft: ConnectionDraft
  onChange(d: ConnectionDraft): void
  editing: boolean
}) {
  const ids = { issuer: useId(), secret: useId(), base: useId(), scopes: useId() }
  const set = (k: keyof ConnectionDraft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [k]: e.target.value })
  const keep = editing ? ' (leave empty to keep)' : ''
  return (
    <>
      {p.issuer && (
        <>
          <label>
            Issuer{p.issuer.required ? '' : ' (optional)'}
            <input
              type="url"
              required={p.issuer.required}
              maxLength={1024}
              spellCheck={false}
              placeholder={p.issuer.placeholder}
              aria-describedby={ids.issuer}
              value={draft.issuer}
              onChange={set('issuer')}
            />
          </label>
          <p className="muted small" id={ids.issuer}>
            {p.issuer.hint}
          </p>
        </>
      )}
      <div className="grid-form">
        <label>
          {p.clientIdLabel}
          <input
            required
            maxLength={512}
            spellCheck={false}
            autoComplete="off"
            value={draft.clientId}
            onChange={set('clientId')}
          />
        </label>
        {p.apple ? (
          <>
            <label>
              Team ID
              <input
                required
                maxLength={10}
                spellCheck={false}
                autoComplete="off"
                placeholder="10 characters"
                value={draft.teamId}
                onChange={set('teamId')}
              />
            </label>
            <label>
              Key ID
              <input
                required
                maxLength={10}
                spellCheck={false}
                autoComplete="off"
                placeholder="10 characters"
                value={draft.keyId}
                onChange={set('keyId')}
              />
            </label>
          </>
        ) : (
          <label>
            Client secret{keep}
            <input
              type="password"
              required={!editing}
              maxLength={4096}
              autoComplete="new-password"
              aria-describedby={ids.secret}
              value={draft.secret}
              onChange={set('secret')}
            />
          </label>
        )}
      </div>
      {p.apple && (
        <label>
          Private key (.p8 PEM){keep}
          <textarea
            rows={4}
            required={!editing}
            maxLength={8192}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={ids.secret}
            placeholder="-----BEGIN PRIVATE KEY-----"
            value={draft.privateKey}
            onChange={set('privateKey')}
          />
        </label>
      )}
      <p className="muted small" id={ids.secret}>
        Sealed on the server and never shown again.
      </p>
      {p.endpointBase && (
        <>
          <label>
            Endpoint base URL (optional)
            <input
              type="url"
              maxLength={1024}
              spellCheck={false}
              placeholder="http://127.0.0.1:8080"
              aria-describedby={ids.base}
              value={draft.endpointBase}
              onChange={set('endpointBase')}
            />
          </label>
          <p className="muted small" id={ids.base}>
            Only for a stand-in on this machine (loopback): the provider’s endpoints are then served
            from that origin. Empty: {p.name} itself.
          </p>
        </>
      )}
      <label>
        Scopes
        <input
          maxLength={1024}
          spellCheck={false}
          autoComplete="off"
          placeholder={p.defaultScopes}
          aria-describedby={ids.scopes}
          value={draft.scopes}
          onChange={set('scopes')}
        />
      </label>
      <p className="muted small" id={ids.scopes}>
        Space-separated. Empty: the provider’s defaults, <code>{p.defaultScopes}</code>; the ones it
        needs are always added.
      </p>
    </>
  )
}
