import { createServer, type Server, type ServerResponse } from 'node:http'
import * as oidc from 'openid-client'

/** What reached the relying party's callback: a code it exchanged, or an error. */
export type Callback =
  | { kind: 'tokens'; code: string; sub: string | undefined; accessToken: string }
  | { kind: 'error'; error: string; state: string | null }
  | { kind: 'failure'; message: string }

export type RelyingParty = {
  /** Where a browser starts "Sign in with …": `/login`, optionally `?prompt=consent&scope=…`. */
  url: string
  redirectUri: string
  callbacks: Callback[]
  close(): Promise<void>
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * A tiny web app that offers "Sign in with Latchkey" the way a real one does, with openid-client:
 * `/login` starts an authorization code request (PKCE, state, nonce) at the discovered issuer;
 * `/callback` exchanges the code and validates the ID token, then shows who signed in.
 */
export async function startRelyingParty(opts: {
  issuer: URL
  clientId: string
  clientSecret: string
  /** The app's own origin, e.g. `http://localhost:PORT` (the port it listens on). */
  origin: string
}): Promise<RelyingParty> {
  const config = await oidc.discovery(opts.issuer, opts.clientId, opts.clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  })
  const redirectUri = `${opts.origin}/callback`
  const pending = new Map<string, { verifier: string; nonce: string }>()
  const callbacks: Callback[] = []
  const page = (res: ServerResponse, status: number, text: string) =>
    res
      .writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><title>Acme</title><p id="result">${escapeHtml(text)}</p>`)

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', opts.origin)
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const nonce = oidc.randomNonce()
      pending.set(state, { verifier, nonce })
      const prompt = url.searchParams.get('prompt')
      const authorize = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: url.searchParams.get('scope') ?? 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...(prompt ? { prompt } : {}),
      })
      res.writeHead(302, { location: authorize.href }).end()
      return
    }
    if (url.pathname !== '/callback') return page(res, 404, 'not found')
    const error = url.searchParams.get('error')
    if (error) {
      callbacks.push({ kind: 'error', error, state: url.searchParams.get('state') })
      return page(res, 200, `error: ${error}`)
    }
    const state = url.searchParams.get('state') ?? ''
    const started = pending.get(state)
    try {
      if (!started) throw new Error('unknown state')
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: started.verifier,
        expectedState: state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      })
      const sub = tokens.claims()?.sub
      callbacks.push({
        kind: 'tokens',
        code: url.searchParams.get('code') ?? '',
        sub,
        accessToken: tokens.access_token,
      })
      return page(res, 200, `signed in as ${sub}`)
    } catch (e) {
      callbacks.push({ kind: 'failure', message: String(e) })
      return page(res, 500, `failed: ${String(e)}`)
    }
  })
  const port = Number(new URL(opts.origin).port)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: opts.origin,
    redirectUri,
    callbacks,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * Another site's page that submits a form to `action` as soon as it loads: how a cross-site
 * request forgery reaches a form. `noReferrer` makes the page's requests carry `Origin: null`.
 */
export function forgedFormPage(
  action: string,
  fields: Record<string, string>,
  opts: { noReferrer?: boolean } = {},
): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('')
  return `<!doctype html><html><head><title>Win a prize</title>${
    opts.noReferrer ? '<meta name="referrer" content="no-referrer">' : ''
  }</head><body><form method="post" action="${escapeHtml(action)}">${inputs}</form>
<script>document.forms[0].submit()</script></body></html>`
}

/** Serves one HTML page per path on `port` (an attacker's site in the tests). */
export async function serveHtml(port: number, pages: Map<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname)
    if (html === undefined) res.writeHead(404).end()
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}
