import { useState } from 'react'
import { api } from '../api.ts'
import { Check, SettingsForm } from '../components/settings-form.tsx'
import type { LockoutSettings, SessionSettings } from '../types.ts'

/** Seconds for people: "7 days", "90 minutes", "45 seconds". */
function duration(seconds: number): string {
  const unit = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`
  if (seconds % 86400 === 0) return unit(seconds / 86400, 'day')
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour')
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute')
  return unit(seconds, 'second')
}

const minutes = (seconds: number) => String(Math.round((seconds / 60) * 100) / 100)
const toSeconds = (text: string) => Math.round(Number(text) * 60)

/**
 * Configure → Sessions: the maximum lifetime and the inactivity timeout new sessions get
 * (`/v1/instance/session_settings`). Only the fields changed are sent, so a value the server's
 * environment sets stays the environment's until it is changed here.
 */
export function SessionsForm({ settings }: { settings: SessionSettings }) {
  const [saved, setSaved] = useState(settings)
  const [lifetime, setLifetime] = useState(minutes(settings.max_session_lifetime))
  const [idleOn, setIdleOn] = useState(settings.inactivity_timeout_enabled)
  const [idle, setIdle] = useState(minutes(settings.inactivity_timeout))
  const following = (s: SessionSettings) =>
    !s.overridden.max_session_lifetime && !s.overridden.inactivity_timeout
  const [useEnv, setUseEnv] = useState(following(settings))
  const { defaults } = saved
  return (
    <SettingsForm
      title="Sessions"
      hint={`How long a session lasts at most, and after how long without activity it ends. New sessions get these. The server’s environment sets ${duration(defaults.max_session_lifetime)} and ${duration(defaults.inactivity_timeout)} (LATCHKEY_SESSION_LIFETIME, LATCHKEY_SESSION_INACTIVITY_TIMEOUT); what is saved here overrides it.`}
      saveLabel="Save sessions"
      save={async () => {
        const body: Record<string, number | boolean | null> = {}
        if (useEnv) {
          body.max_session_lifetime = null
          body.inactivity_timeout = null
          body.inactivity_timeout_enabled = null
        } else if (toSeconds(lifetime) !== saved.max_session_lifetime)
          body.max_session_lifetime = toSeconds(lifetime)
        if (!useEnv && idleOn !== saved.inactivity_timeout_enabled)
          body.inactivity_timeout_enabled = idleOn
        if (!useEnv && idleOn && toSeconds(idle) !== saved.inactivity_timeout)
          body.inactivity_timeout = toSeconds(idle)
        const next = await api<SessionSettings>('PATCH', '/v1/instance/session_settings', body)
        setSaved(next)
        setUseEnv(following(next))
        setIdleOn(next.inactivity_timeout_enabled)
        setLifetime(minutes(next.max_session_lifetime))
        setIdle(minutes(next.inactivity_timeout))
      }}
    >
      <Check label="Use the server’s environment values" checked={useEnv} onChange={setUseEnv} />
      <label>
        Maximum lifetime (minutes)
        <input
          type="number"
          min={5}
          step="any"
          required
          disabled={useEnv}
          value={lifetime}
          onChange={(e) => setLifetime(e.target.value)}
        />
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={idleOn}
          disabled={useEnv}
          onChange={(e) => setIdleOn(e.target.checked)}
        />
        End sessions after a period of inactivity
      </label>
      <label>
        Inactivity timeout (minutes)
        <input
          type="number"
          min={5}
          step="any"
          required
          disabled={useEnv || !idleOn}
          value={idle}
          onChange={(e) => setIdle(e.target.value)}
        />
      </label>
    </SettingsForm>
  )
}

/**
 * Configure → Lockout: consecutive wrong passwords that lock an account and for how long
 * (`/v1/instance/user_lockout`); only the fields changed are sent.
 */
export function LockoutForm({ settings }: { settings: LockoutSettings }) {
  const [saved, setSaved] = useState(settings)
  const [attempts, setAttempts] = useState(String(settings.max_attempts))
  const [lock, setLock] = useState(minutes(settings.duration_in_seconds))
  const following = (s: LockoutSettings) =>
    !s.overridden.max_attempts && !s.overridden.duration_in_seconds
  const [useEnv, setUseEnv] = useState(following(settings))
  const { defaults } = saved
  return (
    <SettingsForm
      title="Lockout"
      hint={`Wrong passwords in a row that lock an account, and how long it stays locked (also the lock on second factors after 10 wrong codes). Browsers that signed in to the account before are not locked out. The server’s environment sets ${defaults.max_attempts} and ${duration(defaults.duration_in_seconds)} (LATCHKEY_LOCKOUT_ATTEMPTS, LATCHKEY_LOCKOUT_SECONDS); what is saved here overrides it.`}
      saveLabel="Save lockout"
      save={async () => {
        const body: Record<string, number | null> = {}
        if (useEnv) {
          body.max_attempts = null
          body.duration_in_seconds = null
        } else {
          if (Number(attempts) !== saved.max_attempts) body.max_attempts = Number(attempts)
          if (toSeconds(lock) !== saved.duration_in_seconds)
            body.duration_in_seconds = toSeconds(lock)
        }
        const next = await api<LockoutSettings>('PATCH', '/v1/instance/user_lockout', body)
        setSaved(next)
        setUseEnv(following(next))
        setAttempts(String(next.max_attempts))
        setLock(minutes(next.duration_in_seconds))
      }}
    >
      <Check label="Use the server’s environment values" checked={useEnv} onChange={setUseEnv} />
      <div className="grid-form">
        <label>
          Wrong passwords before the account locks
          <input
            type="number"
            min={1}
            step={1}
            required
            disabled={useEnv}
            value={attempts}
            onChange={(e) => setAttempts(e.target.value)}
          />
        </label>
        <label>
          Locked for (minutes)
          <input
            type="number"
            min={1}
            step="any"
            required
            disabled={useEnv}
            value={lock}
            onChange={(e) => setLock(e.target.value)}
          />
        </label>
      </div>
    </SettingsForm>
  )
}
