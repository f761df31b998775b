import { useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { CopyButton } from '../components/copy-button.tsx'
import { ErrorText } from '../components/error-text.tsx'
import { IntegrationCheck } from '../components/integration-check.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { useLoad } from '../components/use-load.ts'
import { UserPicker } from '../components/user-picker.tsx'
import type { Instance, JwtTemplate } from '../types.ts'

/** The claims InstantDB reads from a session token. */
const INSTANT_CLAIMS = {
  email: '{{user.primary_email_address}}',
  email_verified: '{{user.email_verified}}',
}

const present = (v: unknown) =>
  typeof v === 'string' && v !== '' ? null : 'missing: the token does not carry it'
const boolean = (v: unknown) => (typeof v === 'boolean' ? null : 'missing or not a boolean')

function Values({ rows }: { rows: [string, string][] }) {
  return (
    <dl className="values">
      {rows.map(([label, value]) => (
        <div key={label} className="value-row">
          <dt>{label}</dt>
          <dd>
            <code>{value}</code>
            <CopyButton value={value} label={label} />
          </dd>
        </div>
      ))}
    </dl>
  )
}

/**
 * Integrations: for Convex, InstantDB, Nylas Connect and any JWKS verifier, the exact values
 * their guides ask for, prefilled from this instance, what to set up here, and a check that a
 * chosen user's token verifies the way that service verifies it.
 */
export function Integrations() {
  const { data, error, reload } = useLoad(
    () =>
      Promise.all([
        api<Instance>('GET', '/v1/instance'),
        api<JwtTemplate[]>('GET', '/v1/jwt_templates?limit=100'),
        api<{ claims: Record<string, unknown> }>('GET', '/v1/instance/session_token'),
      ]),
    [],
  )
  const [userId, setUserId] = useState<string | null>(null)
  const [setupError, setSetupError] = useState<string | null>(null)
  const [instance, templates, sessionToken] = data ?? []
  const issuer = (instance?.frontend_api_url ?? window.location.origin).replace(/\/+$/, '')
  const convex = templates?.find((t) => t.name === 'convex')
  const instantReady =
    sessionToken !== undefined &&
    Object.entries(INSTANT_CLAIMS).every(([k, v]) => sessionToken.claims[k] === v)
  const setUp = async (call: () => Promise<unknown>) => {
    setSetupError(null)
    try {
      await call()
      reload()
    } catch (e) {
      setSetupError(errorMessage(e))
    }
  }
  const jwks = `${issuer}/.well-known/jwks.json`
  return (
    <>
      <PageTitle title="Integrations" />
      <p className="muted">
        The values each service’s guide asks for, from this instance. A check mints the token the
        service gets for a user and verifies it as the service does.
      </p>
      <ErrorText message={error ?? setupError} />
      <UserPicker value={userId} onChange={setUserId} label="Check with" />
      {data && (
        <div className="stack">
          <section className="card stack" aria-labelledby="convex-heading">
            <h2 id="convex-heading">Convex</h2>
            <Values
              rows={[
                ['Convex domain', issuer],
                ['Convex applicationID', 'convex'],
              ]}
            />
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus */}
            <pre className="mono payload snippet" tabIndex={0}>{`// convex/auth.config.ts
export default {
  providers: [{ domain: '${issuer}', applicationID: 'convex' }],
}`}</pre>
            {convex ? (
              <p className="muted small">
                The <code>convex</code> JWT template exists: browsers ask for{' '}
                <code>getToken({'{ template: "convex" }'})</code>.
              </p>
            ) : (
              <p className="row">
                <span>
                  Convex needs the <code>convex</code> JWT template.
                </span>
                <button
                  type="button"
                  onClick={() => setUp(() => api('POST', '/v1/jwt_templates/presets/convex'))}
                >
                  Create the convex template
                </button>
              </p>
            )}
            <IntegrationCheck
              name="Convex"
              issuer={issuer}
              userId={convex ? userId : null}
              template="convex"
              audience="convex"
              claims={[
                { name: 'email', test: present },
                { name: 'email_verified', test: boolean },
              ]}
            />
          </section>
          <section className="card stack" aria-labelledby="instant-heading">
            <h2 id="instant-heading">InstantDB</h2>
            <Values rows={[['InstantDB publishable key', instance?.publishable_key ?? '']]} />
            <p className="muted small">
              Register the publishable key as a Clerk client in InstantDB, then sign in with{' '}
              <code>
                db.auth.signInWithIdToken({'{ idToken: await session.getToken(), clientName }'})
              </code>
              . InstantDB links an account by <code>email</code> only when{' '}
              <code>email_verified</code> is true.
            </p>
            {instantReady ? (
              <p className="muted small">Session tokens carry email and email_verified.</p>
            ) : (
              <p className="row">
                <span>Session tokens must carry email and email_verified.</span>
                <button
                  type="button"
                  onClick={() =>
                    setUp(() =>
                      api('PATCH', '/v1/instance/session_token', {
                        claims: { ...sessionToken?.claims, ...INSTANT_CLAIMS },
                      }),
                    )
                  }
                >
                  Add them to the session token
                </button>
              </p>
            )}
            <IntegrationCheck
              name="InstantDB"
              issuer={issuer}
              userId={instantReady ? userId : null}
              claims={[
                { name: 'email', test: present },
                { name: 'email_verified', test: boolean },
              ]}
            />
          </section>
          <section className="card stack" aria-labelledby="nylas-heading">
            <h2 id="nylas-heading">Nylas Connect</h2>
            <Values
              rows={[
                ['Nylas JWKS URL', jwks],
                ['Nylas issuer', issuer],
              ]}
            />
            <p className="muted small">
              Give <code>identityProviderToken: async () =&gt; session.getToken()</code> and send{' '}
              <code>X-Nylas-External-User-Id</code> with the token’s <code>sub</code> (the user ID).
            </p>
            <IntegrationCheck
              name="Nylas Connect"
              issuer={issuer}
              userId={userId}
              claims={[{ name: 'sub', test: present }]}
            />
          </section>
          <section className="card stack" aria-labelledby="oidc-heading">
            <h2 id="oidc-heading">Any JWKS or OpenID Connect verifier</h2>
            <Values
              rows={[
                ['Issuer', issuer],
                ['JWKS URL', jwks],
                ['Discovery URL', `${issuer}/.well-known/openid-configuration`],
                ['Algorithm', 'RS256'],
              ]}
            />
            <IntegrationCheck name="JWKS" issuer={issuer} userId={userId} />
          </section>
        </div>
      )}
    </>
  )
}
