import { useState } from 'react'
import { api } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Check, SettingsForm } from '../components/settings-form.tsx'
import { useLoad } from '../components/use-load.ts'
import type {
  Instance,
  InstancePaths,
  LockoutSettings,
  SessionSettings,
  UserSettings,
} from '../types.ts'
import { LockoutForm, SessionsForm } from './configure-sessions.tsx'

type Restrictions = { allowlist: boolean; blocklist: boolean; block_email_subaddresses: boolean }

/**
 * Configure: the instance's settings the Backend API has — the application, allowed origins,
 * paths, sign-up, sign-in factors, multi-factor, step-up, restrictions, session lifetimes and
 * lockout (./configure-sessions.tsx) — each section saved
 * on its own with the API's own checks.
 */
export function Configure() {
  const { data, error } = useLoad(
    () =>
      Promise.all([
        api<Instance>('GET', '/v1/instance'),
        api<InstancePaths>('GET', '/v1/instance/paths'),
        api<UserSettings>('GET', '/v1/instance/user_settings'),
        api<Restrictions>('GET', '/v1/instance/restrictions'),
        api<SessionSettings>('GET', '/v1/instance/session_settings'),
        api<LockoutSettings>('GET', '/v1/instance/user_lockout'),
      ]),
    [],
  )
  return (
    <>
      <PageTitle title="Configure" />
      <ErrorText message={error} />
      {data ? (
        <Sections
          instance={data[0]}
          paths={data[1]}
          settings={data[2]}
          restrictions={data[3]}
          sessions={data[4]}
          lockout={data[5]}
        />
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
    </>
  )
}

function Sections(props: {
  instance: Instance
  paths: InstancePaths
  settings: UserSettings
  restrictions: Restrictions
  sessions: SessionSettings
  lockout: LockoutSettings
}) {
  return (
    <div className="stack">
      <Application instance={props.instance} />
      <Origins instance={props.instance} />
      <Paths paths={props.paths} />
      <UserSettingsForms settings={props.settings} />
      <RestrictionsForm restrictions={props.restrictions} />
      <SessionsForm settings={props.sessions} />
      <LockoutForm settings={props.lockout} />
    </div>
  )
}

function Application({ instance }: { instance: Instance }) {
  const [name, setName] = useState(instance.application_name ?? '')
  const [deleteSelf, setDeleteSelf] = useState(instance.delete_self_enabled ?? true)
  return (
    <SettingsForm
      title="Application"
      saveLabel="Save application"
      save={() =>
        api('PATCH', '/v1/instance', {
          application_name: name.trim(),
          delete_self_enabled: deleteSelf,
        })
      }
    >
      <label>
        Application name
        <input required maxLength={256} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <p className="muted small">
        Shown by the prebuilt sign-in and sign-up components and in mail.
      </p>
      <Check
        label="Users may delete their own accounts"
        checked={deleteSelf}
        onChange={setDeleteSelf}
      />
    </SettingsForm>
  )
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

function Origins({ instance }: { instance: Instance }) {
  const fixed = instance.configured_allowed_origins ?? []
  const [text, setText] = useState(() =>
    (instance.allowed_origins ?? []).filter((o) => !fixed.includes(o)).join('\n'),
  )
  return (
    <SettingsForm
      title="Allowed origins"
      hint="The web apps (scheme, host and port) whose browsers may call the Frontend API and be sent back to after sign-in."
      saveLabel="Save origins"
      save={async () => {
        await api('PATCH', '/v1/instance', { allowed_origins: lines(text) })
        const after = await api<Instance>('GET', '/v1/instance')
        setText((after.allowed_origins ?? []).filter((o) => !fixed.includes(o)).join('\n'))
      }}
    >
      <label>
        Origins, one per line
        <textarea
          rows={4}
          spellCheck={false}
          placeholder="https://app.example.com"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      {fixed.length > 0 && (
        <p className="muted small">
          Also allowed, set by the server’s environment (LATCHKEY_ALLOWED_ORIGINS):{' '}
          {fixed.map((o) => (
            <code key={o} className="mono">
              {o}{' '}
            </code>
          ))}
        </p>
      )}
    </SettingsForm>
  )
}

const PATH_LABELS: [keyof InstancePaths, string][] = [
  ['home_url', 'Home URL'],
  ['sign_in_url', 'Sign-in URL'],
  ['sign_up_url', 'Sign-up URL'],
  ['user_profile_url', 'User profile URL'],
  ['after_sign_in_url', 'After sign-in URL'],
  ['after_sign_up_url', 'After sign-up URL'],
  ['after_sign_out_url', 'After sign-out URL'],
]

function Paths({ paths }: { paths: InstancePaths }) {
  const [saved, setSaved] = useState(paths)
  const [draft, setDraft] = useState(() =>
    Object.fromEntries(PATH_LABELS.map(([k]) => [k, paths[k] ?? ''])),
  )
  return (
    <SettingsForm
      title="Paths"
      hint="Where the SDKs and hosted pages send people. Defaults are filled in (Latchkey’s hosted pages and this server’s root); empty a field to restore its default. Each URL must be on this server or an allowed origin."
      saveLabel="Save paths"
      save={async () => {
        // Only what changed: a saved URL stays as it is.
        const changed = Object.fromEntries(
          PATH_LABELS.map(([k]) => [k, draft[k]?.trim() || null]).filter(
            ([k, v]) => v !== saved[k as keyof InstancePaths],
          ),
        )
        setSaved(await api<InstancePaths>('PATCH', '/v1/instance/paths', changed))
      }}
    >
      <div className="grid-form">
        {PATH_LABELS.map(([key, label]) => (
          <label key={key}>
            {label}
            <input
              type="url"
              placeholder="https://…"
              value={draft[key] ?? ''}
              onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
            />
          </label>
        ))}
      </div>
    </SettingsForm>
  )
}

const FIRST_FACTORS: [keyof UserSettings['first_factors'], string][] = [
  ['password', 'Password'],
  ['email_code', 'Email code'],
  ['email_link', 'Email link'],
  ['reset_password_email_code', 'Password reset by email code'],
  ['passkey', 'Passkey'],
]
const SECOND_FACTORS: [keyof UserSettings['second_factors'], string][] = [
  ['totp', 'Authenticator app (TOTP)'],
  ['backup_code', 'Backup codes'],
  ['email_code', 'Email code'],
]

function UserSettingsForms({ settings }: { settings: UserSettings }) {
  const [s, setS] = useState(settings)
  const patch = async (body: Partial<UserSettings>) =>
    setS(await api<UserSettings>('PATCH', '/v1/instance/user_settings', body))
  const [signUp, setSignUp] = useState(settings.sign_up)
  const [first, setFirst] = useState(settings.first_factors)
  const [second, setSecond] = useState(settings.second_factors)
  const [mfaRequired, setMfaRequired] = useState(settings.mfa_required)
  const [step, setStep] = useState(settings.reverification)
  return (
    <>
      <SettingsForm
        title="Sign-up"
        saveLabel="Save sign-up"
        save={() => patch({ sign_up: signUp })}
        hint={
          s.sign_up.mode === 'restricted'
            ? 'Restricted: only identifiers on the allowlist may sign up.'
            : undefined
        }
      >
        <label>
          Who may sign up
          <select
            value={signUp.mode}
            onChange={(e) =>
              setSignUp({ ...signUp, mode: e.target.value as UserSettings['sign_up']['mode'] })
            }
          >
            <option value="public">Anyone (public)</option>
            <option value="restricted">Only allow-listed identifiers (restricted)</option>
          </select>
        </label>
        <Check
          label="Verify the email address at sign-up"
          checked={signUp.verify_email_at_sign_up}
          onChange={(v) => setSignUp({ ...signUp, verify_email_at_sign_up: v })}
        />
      </SettingsForm>
      <SettingsForm
        title="Sign-in"
        hint="The first factors users may sign in with. At least one of password, email code and email link stays on."
        saveLabel="Save sign-in"
        save={() => patch({ first_factors: first })}
      >
        <fieldset className="stack">
          <legend>First factors</legend>
          {FIRST_FACTORS.map(([key, label]) => (
            <Check
              key={key}
              label={label}
              checked={first[key]}
              onChange={(v) => setFirst({ ...first, [key]: v })}
            />
          ))}
        </fieldset>
      </SettingsForm>
      <SettingsForm
        title="Multi-factor"
        hint="The second factors users may enrol and sign in with; backup codes need the authenticator app."
        saveLabel="Save multi-factor"
        save={() => patch({ second_factors: second, mfa_required: mfaRequired })}
      >
        <fieldset className="stack">
          <legend>Second factors</legend>
          {SECOND_FACTORS.map(([key, label]) => (
            <Check
              key={key}
              label={label}
              checked={second[key]}
              onChange={(v) => setSecond({ ...second, [key]: v })}
            />
          ))}
        </fieldset>
        <Check
          label="Every user must enrol a second factor"
          checked={mfaRequired}
          onChange={setMfaRequired}
        />
      </SettingsForm>
      <SettingsForm
        title="Step-up"
        hint="Ask users to prove themselves again before sensitive changes (Clerk’s reverification)."
        saveLabel="Save step-up"
        save={() => patch({ reverification: step })}
      >
        <Check
          label="Require a recent verification for sensitive actions"
          checked={step.enabled}
          onChange={(v) => setStep({ ...step, enabled: v })}
        />
        <div className="grid-form">
          <label>
            Recent means within (minutes)
            <input
              type="number"
              min={1}
              required
              value={step.max_age_minutes}
              onChange={(e) => setStep({ ...step, max_age_minutes: Number(e.target.value) })}
            />
          </label>
          <label>
            Proved with
            <select
              value={step.level}
              onChange={(e) =>
                setStep({
                  ...step,
                  level: e.target.value as UserSettings['reverification']['level'],
                })
              }
            >
              <option value="first_factor">The first factor</option>
              <option value="second_factor">The second factor</option>
              <option value="multi_factor">Both factors</option>
            </select>
          </label>
        </div>
      </SettingsForm>
    </>
  )
}

function RestrictionsForm({ restrictions }: { restrictions: Restrictions }) {
  const [r, setR] = useState(restrictions)
  return (
    <SettingsForm
      title="Restrictions"
      hint="Who may sign up, by identifier (the lists are kept with the Backend API’s allowlist and blocklist identifiers)."
      saveLabel="Save restrictions"
      save={async () => {
        const { allowlist, blocklist, block_email_subaddresses } = r
        setR(
          await api<Restrictions>('PATCH', '/v1/instance/restrictions', {
            allowlist,
            blocklist,
            block_email_subaddresses,
          }),
        )
      }}
    >
      <Check
        label="Allowlist: only listed identifiers may sign up"
        checked={r.allowlist}
        onChange={(v) => setR({ ...r, allowlist: v })}
      />
      <Check
        label="Blocklist: listed identifiers may not sign up"
        checked={r.blocklist}
        onChange={(v) => setR({ ...r, blocklist: v })}
      />
      <Check
        label="Block email subaddresses (name+tag@…)"
        checked={r.block_email_subaddresses}
        onChange={(v) => setR({ ...r, block_email_subaddresses: v })}
      />
    </SettingsForm>
  )
}
