import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import { useState } from 'react'
import { api, errorMessage } from '../api.ts'
import type { Paginated, Session } from '../types.ts'

type Step = { label: string; ok: boolean; detail: string }

/** A public document of this instance, fetched as any verifier would: no credential. */
async function publicJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'omit' })
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`)
  return (await res.json()) as T
}

/**
 * What an integration does with a token, done here: read the instance's discovery document,
 * its JWKS, have the Backend API mint the token the integration gets for the user's newest
 * active session (the session token, or a template's), and verify it with jose against those
 * keys, `iss` and `aud` as the integration would; then the claims it needs. The token stays in
 * memory and is never shown: only its claims are.
 */
async function runCheck(opts: {
  issuer: string
  userId: string
  template?: string
  audience?: string
  claims: { name: string; test(v: unknown): string | null }[]
}): Promise<Step[]> {
  const steps: Step[] = []
  const step = (label: string, ok: boolean, detail: string) => {
    steps.push({ label, ok, detail })
    return ok
  }
  try {
    const discovery = await publicJson<{ issuer?: string; jwks_uri?: string }>(
      `${opts.issuer}/.well-known/openid-configuration`,
    )
    if (
      !step(
        'Discovery document',
        discovery.issuer === opts.issuer && typeof discovery.jwks_uri === 'string',
        `issuer ${discovery.issuer ?? '(none)'}, keys at ${discovery.jwks_uri ?? '(none)'}`,
      )
    )
      return steps
    const jwks = await publicJson<JSONWebKeySet>(discovery.jwks_uri as string)
    if (!step('Signing keys', jwks.keys?.length > 0, `${jwks.keys?.length ?? 0} published`))
      return steps
    const sessions = await api<Paginated<Session>>(
      'GET',
      `/v1/sessions?user_id=${encodeURIComponent(opts.userId)}&status=active&limit=1&paginated=true`,
    )
    const session = sessions.data[0]
    if (
      !step(
        'An active session',
        Boolean(session),
        session
          ? session.id
          : 'this user is not signed in anywhere: sign in as them (or choose another user) and check again',
      )
    )
      return steps
    const path = `/v1/sessions/${encodeURIComponent(session?.id as string)}/tokens${
      opts.template ? `/${encodeURIComponent(opts.template)}` : ''
    }`
    const { jwt } = await api<{ jwt: string }>('POST', path, {})
    const verified = await jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: opts.issuer,
      ...(opts.audience ? { audience: opts.audience } : {}),
      algorithms: ['RS256'],
    }).catch((e: unknown) => {
      step('The token verifies', false, errorMessage(e))
      return null
    })
    if (!verified) return steps
    const { payload, protectedHeader } = verified
    step(
      'The token verifies',
      true,
      `${protectedHeader.alg}, key ${protectedHeader.kid ?? '(no kid)'}, iss ${payload.iss}${
        opts.audience ? `, aud ${opts.audience}` : ''
      }, sub ${payload.sub}`,
    )
    for (const c of opts.claims) {
      const problem = c.test(payload[c.name])
      step(`Claim ${c.name}`, problem === null, problem ?? JSON.stringify(payload[c.name]))
    }
  } catch (e) {
    step('Check', false, errorMessage(e))
  }
  return steps
}

/** A "Check the setup" button and what the check found, step by step. */
export function IntegrationCheck(props: {
  name: string
  issuer: string
  userId: string | null
  template?: string
  audience?: string
  claims?: { name: string; test(v: unknown): string | null }[]
}) {
  const [steps, setSteps] = useState<Step[] | null>(null)
  const [busy, setBusy] = useState(false)
  const run = async () => {
    if (!props.userId) return
    setBusy(true)
    setSteps(null)
    setSteps(
      await runCheck({
        issuer: props.issuer,
        userId: props.userId,
        claims: props.claims ?? [],
        ...(props.template ? { template: props.template } : {}),
        ...(props.audience ? { audience: props.audience } : {}),
      }),
    )
    setBusy(false)
  }
  const passed = steps?.every((s) => s.ok)
  return (
    <div className="check-run">
      <button type="button" onClick={run} disabled={busy || !props.userId}>
        Check the {props.name} setup
      </button>
      <div role="status" aria-live="polite">
        {steps && (
          <>
            <p className={passed ? 'ok' : 'error'}>
              {passed ? `${props.name}: every check passed.` : `${props.name}: a check failed.`}
            </p>
            <ol className="steps">
              {steps.map((s) => (
                <li key={s.label} className={s.ok ? 'ok' : 'bad'}>
                  <span aria-hidden="true">{s.ok ? '✓' : '✗'}</span> <strong>{s.label}</strong>
                  <span className="sr-only">{s.ok ? ' passed' : ' failed'}</span>:{' '}
                  <span className="mono small">{s.detail}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </div>
  )
}
