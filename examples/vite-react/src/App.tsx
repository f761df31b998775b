import {
  SignedIn,
  SignedOut,
  SignInButton,
  SignUpButton,
  UserButton,
  useAuth,
  useUser,
} from '@latchkey/react'
import { useState } from 'react'

const bar = {
  display: 'flex',
  justifyContent: 'space-between',
  alignItems: 'center',
  padding: '1rem 2rem',
  borderBottom: '1px solid #e5e7eb',
  fontFamily: 'system-ui, sans-serif',
} as const

export function App() {
  const { isLoaded, getToken } = useAuth()
  const { user } = useUser()
  const [apiResult, setApiResult] = useState<string>('')

  const callBackend = async () => {
    const token = await getToken()
    const res = await fetch('/api/me', { headers: { Authorization: `Bearer ${token}` } })
    setApiResult(JSON.stringify(await res.json(), null, 2))
  }

  return (
    <>
      <header style={bar}>
        <strong>Acme Tasks</strong>
        <SignedOut>
          <span style={{ display: 'flex', gap: '0.5rem' }}>
            <SignInButton mode="modal" />
            <SignUpButton mode="modal" />
          </span>
        </SignedOut>
        <SignedIn>
          <UserButton />
        </SignedIn>
      </header>
      <main style={{ maxWidth: '48rem', margin: '2rem auto', fontFamily: 'system-ui, sans-serif' }}>
        <h1>Vite + React + Latchkey</h1>
        {!isLoaded && <p role="status">Loading…</p>}
        <SignedOut>
          <p role="status">You are signed out.</p>
        </SignedOut>
        <SignedIn>
          <p role="status">Hello, {user?.firstName ?? user?.primaryEmailAddress?.emailAddress}!</p>
          <button type="button" onClick={callBackend}>
            Call the backend
          </button>
          <pre aria-live="polite" data-testid="api-result">
            {apiResult}
          </pre>
        </SignedIn>
      </main>
    </>
  )
}
