import type { ClientJSON } from './resources.js'

/** One error entry as the Frontend API sends it (Clerk's `ClerkAPIError`), in SDK casing. */
export type LatchkeyAPIErrorEntry = {
  code: string
  message: string
  longMessage: string
  meta: {
    paramName?: string
    retryAfterSeconds?: number
    /** With `session_reverification_required`: the level to prove, within how many minutes. */
    sessionVerification?: { level: string; afterMinutes?: number }
  }
}

/**
 * A Frontend API call answered with an error (Clerk's `ClerkAPIResponseError`): `status`, the
 * `errors` entries, and for 429 the wait in `retryAfter` seconds.
 */
export class LatchkeyAPIResponseError extends Error {
  readonly status: number
  readonly errors: LatchkeyAPIErrorEntry[]
  readonly retryAfter: number | undefined
  readonly clerkTraceId: string | undefined
  readonly clerkError = true

  constructor(
    status: number,
    errors: LatchkeyAPIErrorEntry[],
    opts: { retryAfter?: number; traceId?: string } = {},
  ) {
    super(errors[0]?.longMessage ?? `Request failed with status ${status}`)
    this.name = 'LatchkeyAPIResponseError'
    this.status = status
    this.errors = errors
    this.retryAfter = opts.retryAfter
    this.clerkTraceId = opts.traceId
  }

  /** The first entry's code, e.g. `form_password_incorrect`. */
  get code(): string | undefined {
    return this.errors[0]?.code
  }
}

type WireError = {
  code?: unknown
  message?: unknown
  long_message?: unknown
  meta?: {
    param_name?: unknown
    retry_after_seconds?: unknown
    session_verification?: { level?: unknown; after_minutes?: unknown }
  }
}

function toEntry(e: WireError): LatchkeyAPIErrorEntry {
  const meta: LatchkeyAPIErrorEntry['meta'] = {}
  if (typeof e.meta?.param_name === 'string') meta.paramName = e.meta.param_name
  if (typeof e.meta?.retry_after_seconds === 'number')
    meta.retryAfterSeconds = e.meta.retry_after_seconds
  const sv = e.meta?.session_verification
  if (sv && typeof sv.level === 'string')
    meta.sessionVerification = {
      level: sv.level,
      ...(typeof sv.after_minutes === 'number' ? { afterMinutes: sv.after_minutes } : {}),
    }
  const message = typeof e.message === 'string' ? e.message : 'Request failed'
  return {
    code: typeof e.code === 'string' ? e.code : 'unknown_error',
    message,
    longMessage: typeof e.long_message === 'string' ? e.long_message : message,
    meta,
  }
}

export type FapiRequest = {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  path: string
  /** Form fields, snake_case; `undefined` values are left out. */
  body?: Record<string, string | boolean | number | undefined>
  /** The session a `/v1/me` call acts as (`_clerk_session_id`). */
  sessionId?: string | undefined
}

export type FapiOptions = {
  /** The Frontend API's base URL, e.g. `https://auth.example.com`. */
  baseUrl: string
  fetch?: typeof fetch
  /** Every response that carries a `client` hands it here (Clerk's envelope semantics). */
  onClient: (client: ClientJSON | null) => void
  /** A 401 means the browser's client is gone: signed out. */
  onUnauthorized: () => void
}

/**
 * The Frontend API on the wire: form-encoded bodies, only GET and POST (other verbs travel as
 * `?_method=`), cookies sent cross-origin (`credentials: 'include'`), `{ response, client }`
 * envelopes unwrapped.
 */
export class FapiClient {
  readonly #o: FapiOptions

  constructor(options: FapiOptions) {
    this.#o = options
  }

  get baseUrl(): string {
    return this.#o.baseUrl
  }

  /** Calls an endpoint that answers with Clerk's envelope and returns its `response`. */
  async request<T>(req: FapiRequest): Promise<T> {
    const json = (await this.#send(req)) as { response?: T; client?: ClientJSON | null }
    if (json && typeof json === 'object' && 'client' in json) this.#o.onClient(json.client ?? null)
    return (json?.response ?? json) as T
  }

  /** Calls an endpoint that answers bare JSON (environment, tokens). */
  async bare<T>(req: FapiRequest): Promise<T> {
    return (await this.#send(req)) as T
  }

  async #send(req: FapiRequest): Promise<unknown> {
    const url = new URL(req.path, this.#o.baseUrl)
    if (req.method !== 'GET' && req.method !== 'POST') url.searchParams.set('_method', req.method)
    if (req.sessionId) url.searchParams.set('_clerk_session_id', req.sessionId)
    const init: RequestInit = {
      method: req.method === 'GET' ? 'GET' : 'POST',
      credentials: 'include',
      headers: { accept: 'application/json' },
    }
    if (init.method === 'POST') {
      const form = new URLSearchParams()
      for (const [k, v] of Object.entries(req.body ?? {}))
        if (v !== undefined) form.set(k, String(v))
      init.body = form
    }
    const res = await (this.#o.fetch ?? fetch)(url, init)
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = null
    }
    if (res.ok) return json
    const body = (json ?? {}) as { errors?: WireError[]; clerk_trace_id?: unknown }
    const entries = Array.isArray(body.errors) ? body.errors.map(toEntry) : []
    if (entries.length === 0)
      entries.push(toEntry({ code: 'network_error', message: `HTTP ${res.status}` }))
    const header = Number(res.headers.get('retry-after'))
    const retryAfter =
      Number.isFinite(header) && header > 0 ? header : entries[0]?.meta.retryAfterSeconds
    if (res.status === 401) this.#o.onUnauthorized()
    throw new LatchkeyAPIResponseError(res.status, entries, {
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(typeof body.clerk_trace_id === 'string' ? { traceId: body.clerk_trace_id } : {}),
    })
  }
}
