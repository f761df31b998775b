import { useEffect, useState } from 'react'
import { api, errorMessage, getToken, onUnauthorized, setToken } from './api.ts'
import { Link } from './components/link.tsx'
import { PageTitle } from './components/page-title.tsx'
import { ApiKeys } from './pages/api-keys.tsx'
import { Audit } from './pages/audit.tsx'
import { Configure } from './pages/configure.tsx'
import { EnterpriseConnectionPage } from './pages/enterprise-connection.tsx'
import { EnterpriseConnections } from './pages/enterprise-connections.tsx'
import { Integrations } from './pages/integrations.tsx'
import { JwtTemplatePage } from './pages/jwt-template.tsx'
import { JwtTemplates } from './pages/jwt-templates.tsx'
import { OAuthApplicationPage } from './pages/oauth-application.tsx'
import { OAuthApplications } from './pages/oauth-applications.tsx'
import { Overview } from './pages/overview.tsx'
import { SessionToken } from './pages/session-token.tsx'
import { SignIn } from './pages/sign-in.tsx'
import { SocialConnectionPage } from './pages/social-connection.tsx'
import { SocialConnections } from './pages/social-connections.tsx'
import { UserPage } from './pages/user.tsx'
import { Users } from './pages/users.tsx'
import { WebhookPage } from './pages/webhook.tsx'
import { Webhooks } from './pages/webhooks.tsx'
import { parseRoute, type Route, usePathname } from './router.ts'
import type { OperatorCredential } from './types.ts'

const NAV = [
  { to: '', label: 'Overview', pages: ['overview'] },
  { to: 'users', label: 'Users', pages: ['users', 'user'] },
  { to: 'session-token', label: 'Session token', pages: ['session-token'] },
  { to: 'jwt-templates', label: 'JWT templates', pages: ['jwt-templates', 'jwt-template'] },
  {
    to: 'oauth-applications',
    label: 'OAuth apps',
    pages: ['oauth-applications', 'oauth-application'],
  },
  { to: 'configure', label: 'Configure', pages: ['configure'] },
  { to: 'integrations', label: 'Integrations', pages: ['integrations'] },
  {
    to: 'social-connections',
    label: 'Social sign-in',
    pages: ['social-connections', 'social-connection'],
  },
  {
    to: 'enterprise-connections',
    label: 'Enterprise SSO',
    pages: ['enterprise-connections', 'enterprise-connection'],
  },
  { to: 'webhooks', label: 'Webhooks', pages: ['webhooks', 'webhook'] },
  { to: 'api-keys', label: 'API keys', pages: ['api-keys'] },
  { to: 'audit', label: 'Audit log', pages: ['audit'] },
] as const

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <Overview />
    case 'users':
      return <Users />
    case 'user':
      return <UserPage key={route.id} id={route.id} />
    case 'session-token':
      return <SessionToken />
    case 'jwt-templates':
      return <JwtTemplates />
    case 'jwt-template':
      return <JwtTemplatePage key={route.id} id={route.id} />
    case 'oauth-applications':
      return <OAuthApplications />
    case 'oauth-application':
      return <OAuthApplicationPage key={route.id} id={route.id} />
    case 'configure':
      return <Configure />
    case 'integrations':
      return <Integrations />
    case 'social-connections':
      return <SocialConnections />
    case 'social-connection':
      return <SocialConnectionPage key={route.id} id={route.id} />
    case 'webhooks':
      return <Webhooks />
    case 'webhook':
      return <WebhookPage key={route.id} id={route.id} />
    case 'api-keys':
      return <ApiKeys />
    case 'audit':
      return <Audit />
    case 'enterprise-connections':
      return <EnterpriseConnections />
    case 'enterprise-connection':
      return <EnterpriseConnectionPage key={route.id} id={route.id} />
    case 'not-found':
      return (
        <>
          <PageTitle title="Not found" />
          <p>
            There is no such page. <Link to="">Go to the overview</Link>.
          </p>
        </>
      )
  }
}

/** Signed out: the sign-in page. Signed in: the navigation and the current page. */
export function App() {
  const [credential, setCredential] = useState<OperatorCredential | null>(null)
  const [checking, setChecking] = useState(() => getToken() !== null)
  const [signOutError, setSignOutError] = useState<string | null>(null)
  const route = parseRoute(usePathname())

  useEffect(() => {
    onUnauthorized(() => setCredential(null))
    if (!getToken()) return
    api<OperatorCredential>('GET', '/v1/operator_sessions/current')
      .then(setCredential, () => setCredential(null))
      .finally(() => setChecking(false))
  }, [])

  const signedIn = async (c: OperatorCredential) => {
    if (c.token) setToken(c.token)
    // The sign-in answer carries the token; the current credential says whether a second
    // factor protects it.
    setCredential(
      await api<OperatorCredential>('GET', '/v1/operator_sessions/current').catch(() => c),
    )
  }
  const signOut = async () => {
    setSignOutError(null)
    try {
      await api('DELETE', '/v1/operator_sessions/current')
    } catch (e) {
      // Already expired or revoked is signed out too; anything else is worth saying.
      if (getToken()) return setSignOutError(errorMessage(e))
    }
    setToken(null)
    setCredential(null)
  }

  if (checking) return <main className="loading" aria-busy="true" />
  if (!credential) return <SignIn onSignedIn={signedIn} />
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <nav aria-label="Dashboard">
          <span className="brand">Latchkey</span>
          <ul>
            {NAV.map((n) => (
              <li key={n.label}>
                <Link
                  to={n.to}
                  aria-current={
                    (n.pages as readonly string[]).includes(route.page) ? 'page' : undefined
                  }
                >
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="muted small">{credential.user.email_address ?? credential.user.id}</span>
          <button type="button" className="small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      {credential.second_factor === false && (
        <div className="banner" role="note">
          <strong>No second factor.</strong> Your operator account signs in with a password alone.
          Add an authenticator app to it to protect this dashboard.
        </div>
      )}
      {signOutError && (
        <p className="error" role="alert">
          {signOutError}
        </p>
      )}
      <main id="main">
        <Page route={route} />
      </main>
    </>
  )
}
