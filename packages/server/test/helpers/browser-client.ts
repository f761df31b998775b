/**
 * A minimal Frontend API caller that behaves like a browser: form-encoded bodies, an `Origin`
 * header, and a cookie jar for `__client`.
 */
export class BrowserClient {
  readonly baseUrl: string
  readonly origin: string | undefined
  readonly extraHeaders: Record<string, string>
  cookies = new Map<string, string>()

  constructor(baseUrl: string, origin?: string, extraHeaders: Record<string, string> = {}) {
    this.baseUrl = baseUrl
    this.origin = origin
    this.extraHeaders = extraHeaders
  }

  /** Sends a request as this browser (its cookies and headers), keeping the cookies it sets. */
  async send(
    method: 'GET' | 'POST',
    path: string,
    form?: Record<string, string | string[]>,
    origin: string | undefined = this.origin,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.extraHeaders }
    if (origin) headers.origin = origin
    if (this.cookies.size > 0)
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    let body: string | undefined
    if (form) {
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(form))
        for (const item of [v].flat()) params.append(k, item)
      body = params.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [k, ...rest] = (pair ?? '').split('=')
      if (!k) continue
      const value = rest.join('=')
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k)
      else this.cookies.set(k, value)
    }
    return res
  }

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>) {
    const res = await this.send(method, path, form)
    const text = await res.text()
    const json: Json = text ? JSON.parse(text) : undefined
    return { status: res.status, headers: res.headers, json }
  }

  /**
   * Submits the hosted sign-in page's form (no JavaScript), as this browser does: it loads the
   * page (its form token and cookie), then posts from the page's own origin.
   */
  async hostedSignIn(identifier: string, password: string) {
    const page = await (await this.send('GET', '/sign-in')).text()
    const token = /name="csrf_token" value="([^"]*)"/.exec(page)?.[1] ?? ''
    const res = await this.send(
      'POST',
      '/sign-in',
      { identifier, password, csrf_token: token },
      new URL(this.baseUrl).origin,
    )
    return { status: res.status, headers: res.headers, html: await res.text() }
  }

  get(path: string) {
    return this.request('GET', path)
  }

  post(path: string, form?: Record<string, string | string[]>) {
    return this.request('POST', path, form ?? {})
  }

  /** Signs up with email and password; returns the new session id. */
  async signUp(
    email: string,
    password: string,
    extra: Record<string, string> = {},
  ): Promise<string> {
    const r = await this.post('/v1/client/sign_ups', { email_address: email, password, ...extra })
    if (r.status !== 200) throw new Error(`sign-up failed: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json.response.created_session_id
  }

  /** Signs in with the one-call password form; returns the new session id. */
  async signIn(identifier: string, password: string): Promise<string> {
    const r = await this.post('/v1/client/sign_ins', { identifier, password, strategy: 'password' })
    if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json.response.created_session_id
  }

  async token(sessionId: string): Promise<string> {
    const r = await this.post(`/v1/client/sessions/${sessionId}/tokens`)
    if (r.status !== 200) throw new Error(`token failed: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json.jwt
  }
}

/** Parsed JSON as tests read it: arbitrary shapes, asserted on field by field. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
export type Json = any

/** Fetches and parses JSON. */
export async function fetchJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; json: Json }> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined }
}
