/**
 * A browser as Clerk's handshake meets it: one cookie jar per host (the app's and the Frontend
 * API's are different sites), top-level navigations that send `Sec-Fetch-Dest: document` and
 * `Accept: text/html`, and redirects followed hop by hop so a test can look at each one.
 */
export class SiteBrowser {
  readonly jars = new Map<string, Map<string, string>>()

  jar(url: string): Map<string, string> {
    const host = new URL(url).host
    let jar = this.jars.get(host)
    if (!jar) {
      jar = new Map()
      this.jars.set(host, jar)
    }
    return jar
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar(url).get(name)
  }

  setCookie(url: string, name: string, value: string): void {
    this.jar(url).set(name, value)
  }

  deleteCookie(url: string, name: string): void {
    this.jar(url).delete(name)
  }

  cookieHeader(url: string): string {
    return [...this.jar(url)].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /** Keeps what `Set-Cookie` values say, as a browser would for `url`'s host. */
  store(url: string, setCookies: readonly string[]): void {
    const jar = this.jar(url)
    for (const c of setCookies) {
      const [pair] = c.split(';')
      const at = (pair ?? '').indexOf('=')
      if (at <= 0) continue
      const name = (pair ?? '').slice(0, at).trim()
      const value = (pair ?? '').slice(at + 1)
      if (/;\s*Max-Age=0(;|$)/i.test(c) || /Expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name)
      else jar.set(name, value)
    }
  }

  /** The headers of a top-level navigation to `url`. */
  navigationHeaders(url: string): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml',
      'sec-fetch-dest': 'document',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) site-browser',
    }
    const cookie = this.cookieHeader(url)
    if (cookie) headers.cookie = cookie
    return headers
  }

  /** One navigation, no redirect followed: its cookies are kept. */
  async hop(url: string): Promise<Response> {
    const res = await fetch(url, { headers: this.navigationHeaders(url), redirect: 'manual' })
    this.store(url, res.headers.getSetCookie())
    return res
  }

  /** Navigates, following redirects; returns the last response and every URL visited. */
  async navigate(url: string, maxHops = 8): Promise<{ res: Response; visited: string[] }> {
    const visited = [url]
    let res = await this.hop(url)
    while (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      if (visited.length > maxHops) throw new Error(`redirect loop: ${visited.join(' -> ')}`)
      const next = new URL(res.headers.get('location') ?? '', visited.at(-1)).href
      visited.push(next)
      res = await this.hop(next)
    }
    return { res, visited }
  }
}
