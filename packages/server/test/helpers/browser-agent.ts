/**
 * A browser for redirect flows, over plain HTTP: a cookie jar that honours `Path`, manual
 * redirect following that stops at the first URL outside the server (the OAuth client's
 * callback), and form posts that send `Origin` and `Sec-Fetch-Site` the way a browser does on a
 * page of the server. `fill` submits a page's form with its hidden fields (the CSRF token), as a
 * browser does; `submit` posts only what it is given (a forged or scripted post).
 */
type Cookie = { name: string; value: string; path: string }

export type Page = { url: string; status: number; html: string; headers: Headers }

export class BrowserAgent {
  readonly origin: string
  readonly jar: Cookie[] = []
  /** Every URL visited, in order (redirect hops included). */
  readonly history: string[] = []

  constructor(serverUrl: string) {
    this.origin = new URL(serverUrl).origin
  }

  cookieHeader(url: URL): string {
    return this.jar
      .filter(
        (c) =>
          url.pathname === c.path ||
          url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) ||
          c.path === '/',
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }

  hasCookie(name: string): boolean {
    return this.jar.some((c) => c.name === name)
  }

  private store(url: URL, headers: Headers) {
    for (const raw of headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(';').map((s) => s.trim())
      const eq = (pair ?? '').indexOf('=')
      if (eq <= 0) continue
      const name = (pair as string).slice(0, eq)
      const value = (pair as string).slice(eq + 1)
      const pathAttr = attrs.find((a) => /^path=/i.test(a))
      const path = pathAttr ? pathAttr.slice(5) : url.pathname.replace(/\/[^/]*$/, '') || '/'
      const expired =
        value === '' || attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=.*1970/i.test(a))
      const i = this.jar.findIndex((c) => c.name === name && c.path === path)
      if (i >= 0) this.jar.splice(i, 1)
      if (!expired) this.jar.push({ name, value, path })
    }
  }

  private async fetchOnce(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    const cookie = this.cookieHeader(url)
    if (cookie) headers.set('cookie', cookie)
    const res = await fetch(url, { ...init, headers, redirect: 'manual' })
    this.store(url, res.headers)
    this.history.push(url.href)
    return res
  }

  /** Follows redirects from `res` while they stay on the server. */
  private async follow(url: URL, res: Response): Promise<Page> {
    let current = url
    let response = res
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) break
      const next = new URL(location, current)
      if (next.origin !== this.origin) {
        this.history.push(next.href)
        return { url: next.href, status: response.status, html: '', headers: response.headers }
      }
      await response.body?.cancel()
      current = next
      response = await this.fetchOnce(current)
    }
    return {
      url: current.href,
      status: response.status,
      html: await response.text(),
      headers: response.headers,
    }
  }

  /** Navigates like an address bar: GET, then follows redirects on the server. */
  async goto(target: string): Promise<Page> {
    const url = new URL(target, this.origin)
    return this.follow(url, await this.fetchOnce(url))
  }

  /** Posts `form` (urlencoded, `Origin` and `Sec-Fetch-Site` of this server) and follows redirects. */
  async submit(path: string, form: Record<string, string>): Promise<Page> {
    const url = new URL(path, this.origin)
    const res = await this.fetchOnce(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(form).toString(),
    })
    return this.follow(url, res)
  }

  /** Submits the page's first form as a browser does: to its action, with its hidden fields. */
  async fill(page: Page, fields: Record<string, string>): Promise<Page> {
    const action = formAction(page.html)
    if (action === undefined) throw new Error(`no form on ${page.url}`)
    // Only that form's fields, as a browser sends them (a page may hold several forms).
    const form = page.html.slice(page.html.search(/<form[\s>]/), page.html.indexOf('</form>'))
    return this.submit(new URL(action, page.url).href, { ...hiddenInputs(form), ...fields })
  }
}

/** A form's hidden inputs, by name. */
export function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    out[m[1] as string] = (m[2] as string).replace(/&amp;/g, '&').replace(/&quot;/g, '"')
  return out
}

/** The value of a hidden or text input in a page, by name. */
export function inputValue(html: string, name: string): string | undefined {
  const m = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html)
  return m?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"')
}

/** A form's `action`, by the page's first form. */
export function formAction(html: string): string | undefined {
  return /<form[^>]*action="([^"]*)"/.exec(html)?.[1]?.replace(/&amp;/g, '&')
}
