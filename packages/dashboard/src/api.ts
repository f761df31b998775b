/**
 * The dashboard's only way to the server: the Backend API on this origin, with the operator
 * credential (`lk_op_…`) as a Bearer token. There is no private API: everything the dashboard
 * does, a script with a secret key can do.
 *
 * The credential lives in sessionStorage: this tab only, gone when the tab closes, never in a
 * cookie (so no other site can make the browser present it, and no CSRF). Script running on
 * this origin could read it; the server's CSP (`script-src 'self'`) admits only our own build.
 */
const TOKEN_KEY = 'latchkey.operator_token'

/** A Backend API refusal, with the message the API gave (`long_message`, else `message`). */
export class ApiFailure extends Error {
  readonly status: number
  readonly code: string
  readonly meta: Record<string, unknown>
  constructor(status: number, code: string, message: string, meta: Record<string, unknown> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.meta = meta
  }
}

type ErrorBody = {
  errors?: {
    code?: string
    message?: string
    long_message?: string
    meta?: Record<string, unknown>
  }[]
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

let onSignedOut: () => void = () => {}

/** What to do when the server stops accepting the credential (any 401): show the sign-in page. */
export function onUnauthorized(fn: () => void): void {
  onSignedOut = fn
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** Calls `path` (e.g. `/v1/users`) and returns its JSON; throws an ApiFailure on refusal. */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const token = getToken()
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'omit',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  } catch {
    throw new ApiFailure(0, 'network_error', 'The server could not be reached. Try again.')
  }
  const text = await res.text()
  let data: unknown = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!res.ok) {
    const first = (data as ErrorBody | null)?.errors?.[0]
    if (res.status === 401 && token) {
      setToken(null)
      onSignedOut()
    }
    throw new ApiFailure(
      res.status,
      first?.code ?? 'unknown_error',
      first?.long_message ?? first?.message ?? `The request failed (HTTP ${res.status}).`,
      first?.meta ?? {},
    )
  }
  return data as T
}

/** The message to show for anything a call threw. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiFailure) return error.message
  return error instanceof Error ? error.message : String(error)
}

/** `{ a: 1, b: undefined }` → `a=1`, for query strings. */
export function qs(params: Record<string, string | number | undefined>): string {
  const out = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== '') out.set(k, String(v))
  const s = out.toString()
  return s ? `?${s}` : ''
}
