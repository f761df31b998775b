import { useEffect, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import type { TokenPreview } from '../types.ts'
import { parseMetadata } from './metadata-editor.tsx'

/** How long typing pauses before the preview is asked for again. */
const DEBOUNCE_MS = 300

/**
 * The live preview of the token `userId` would get with the claims being edited: asked of the
 * Backend API (`path`, e.g. `/v1/jwt_templates/preview`) as the text changes, so it shows the
 * server's own rendering and the error a save would give. The newest edit wins.
 */
export function useTokenPreview(
  path: string,
  claimsText: string,
  userId: string | null,
  extra: Record<string, unknown> = {},
): { preview: TokenPreview | null; problem: string | null } {
  const [preview, setPreview] = useState<TokenPreview | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const extraKey = JSON.stringify(extra)
  useEffect(() => {
    const parsed = parseMetadata(claimsText, 'Claims')
    if ('problem' in parsed) {
      setProblem(parsed.problem)
      return
    }
    if (!userId) return
    let current = true
    const timer = setTimeout(() => {
      api<TokenPreview>('POST', path, {
        claims: parsed.value,
        user_id: userId,
        ...JSON.parse(extraKey),
      }).then(
        (p) => {
          if (!current) return
          setPreview(p)
          setProblem(null)
        },
        (e: unknown) => current && setProblem(errorMessage(e)),
      )
    }, DEBOUNCE_MS)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [path, claimsText, userId, extraKey])
  return { preview, problem }
}

/** The preview's payload, or why there is none; announced politely as it changes. */
export function PreviewPanel({
  preview,
  problem,
  userId,
}: {
  preview: TokenPreview | null
  problem: string | null
  userId: string | null
}) {
  return (
    <section className="card preview" aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview</h2>
      <p className="muted small">
        The claims this user’s next token would carry. A preview is never signed: it is not a token.
        {preview?.session_id === null &&
          ' This user has no active session, so a stand-in session was used.'}
      </p>
      <div aria-live="polite">
        {problem ? (
          <p className="error" data-testid="preview-problem">
            {problem}
          </p>
        ) : !userId ? (
          <p className="muted">Choose a user to preview.</p>
        ) : (
          // Focusable, so a keyboard can scroll a wide payload.
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus
          <pre className="mono payload" data-testid="token-preview" tabIndex={0}>
            {preview ? JSON.stringify(preview.payload, null, 2) : 'Loading…'}
          </pre>
        )}
      </div>
    </section>
  )
}
