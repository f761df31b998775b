import { type FormEvent, useEffect, useRef, useState } from 'react'
import { ApiFailure, api, errorMessage } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { PageTitle } from '../components/page-title.tsx'
import type { OperatorCredential } from '../types.ts'

/**
 * Operator sign-in: identifier and password, then a code when the server asks for one
 * (`form_param_missing` with `meta.param_name: 'code'`), all three sent again.
 */
export function SignIn({ onSignedIn }: { onSignedIn(c: OperatorCredential): void }) {
  const [identifier, setIdentifier] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [needCode, setNeedCode] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const codeRef = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (needCode) codeRef.current?.focus()
  }, [needCode])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body = { identifier, password, ...(needCode ? { code } : {}) }
      onSignedIn(await api<OperatorCredential>('POST', '/v1/operator_sessions', body))
    } catch (err) {
      if (
        err instanceof ApiFailure &&
        err.code === 'form_param_missing' &&
        err.meta.param_name === 'code'
      )
        setNeedCode(true)
      else setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="sign-in" id="main">
      <PageTitle title="Sign in to the dashboard" />
      <p className="muted">For operators of this Latchkey instance.</p>
      <form onSubmit={submit} className="card stack" aria-describedby="sign-in-error">
        <label>
          Email address or username
          <input
            name="identifier"
            autoComplete="username"
            required
            value={identifier}
            onChange={(e) => setIdentifier(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {needCode && (
          <label>
            Code from your authenticator app, or a backup code
            <input
              ref={codeRef}
              name="code"
              autoComplete="one-time-code"
              inputMode="text"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
        )}
        <ErrorText message={error} id="sign-in-error" />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
