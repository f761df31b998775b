import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { freePort } from './test-server.js'

/** One account at a plain OAuth 2 provider: what each of its API resources answers. */
export type StandInAccount = Record<string, unknown>

/**
 * How one provider speaks OAuth 2 (RFC 6749 authorization code, PKCE S256 when asked): its
 * documented paths, how its token endpoint answers, and its API resources, each a JSON body
 * made from the signed-in account.
 */
export type OAuth2Shape = {
  authorizePath: string
  tokenPath: string
  /** GitHub answers form-encoded unless asked for JSON, and separates scopes with commas. */
  tokenResponse: (accessToken: string, scope: string) => Record<string, unknown>
  resources: Record<string, (account: StandInAccount) => unknown>
  /** GitHub refuses API calls without a User-Agent (403). */
  requireUserAgent?: boolean
}

type Code = { account: string; redirectUri: string; challenge: string | null; scope: string }

/**
 * A plain OAuth 2 provider on loopback (GitHub, Discord), written from their public docs: an
 * authorize endpoint that signs in as `signInAs` and redirects back with a code, a token
 * endpoint that checks the client's credentials, the redirect URI and the PKCE verifier, and
 * bearer-protected API resources. Every request is recorded for the test to inspect.
 */
export class OAuth2StandIn {
  readonly accounts = new Map<string, StandInAccount>()
  signInAs = ''
  readonly clientId = 'latchkey-oauth2-test'
  readonly clientSecret = 'oauth2-client-secret-0123456789abcdef'
  readonly origin: string
  readonly requests: { method: string; path: string; headers: IncomingMessage['headers'] }[] = []
  private readonly codes = new Map<string, Code>()
  private readonly tokens = new Map<string, string>()
  private readonly server: Server
  private readonly callbackUrl: string
  private readonly shape: OAuth2Shape

  private constructor(origin: string, server: Server, callbackUrl: string, shape: OAuth2Shape) {
    this.origin = origin
    this.server = server
    this.callbackUrl = callbackUrl
    this.shape = shape
  }

  static async start(callbackUrl: string, shape: OAuth2Shape): Promise<OAuth2StandIn> {
    const port = await freePort()
    const server = createServer()
    const standIn = new OAuth2StandIn(`http://127.0.0.1:${port}`, server, callbackUrl, shape)
    server.on('request', (req, res) => {
      standIn.handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }))
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return standIn
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? '/', this.origin)
    this.requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers })
    if (req.method === 'GET' && url.pathname === this.shape.authorizePath)
      return this.authorize(url, res)
    if (req.method === 'POST' && url.pathname === this.shape.tokenPath)
      return this.token(req, res, new URLSearchParams(await body(req)))
    const resource = this.shape.resources[url.pathname]
    if (req.method === 'GET' && resource) {
      if (this.shape.requireUserAgent && !req.headers['user-agent'])
        return send(res, 403, { message: 'Request forbidden by administrative rules.' })
      const m = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')
      const account = m?.[1] ? this.tokens.get(m[1]) : undefined
      const claims = account ? this.accounts.get(account) : undefined
      if (!claims) return send(res, 401, { message: 'Bad credentials' })
      return send(res, 200, resource(claims))
    }
    send(res, 404, { message: 'Not Found' })
  }

  private authorize(url: URL, res: ServerResponse): unknown {
    const q = url.searchParams
    if (q.get('client_id') !== this.clientId || q.get('redirect_uri') !== this.callbackUrl)
      return send(res, 400, { error: 'redirect_uri_mismatch' })
    if (q.get('response_type') !== 'code')
      return send(res, 400, { error: 'unsupported_response_type' })
    const challenge = q.get('code_challenge')
    if (challenge && q.get('code_challenge_method') !== 'S256')
      return send(res, 400, { error: 'invalid_request' })
    const code = randomBytes(16).toString('hex')
    const scope = q.get('scope') ?? ''
    this.codes.set(code, {
      account: this.signInAs,
      redirectUri: this.callbackUrl,
      challenge,
      scope,
    })
    const back = new URL(this.callbackUrl)
    back.searchParams.set('code', code)
    const state = q.get('state')
    if (state) back.searchParams.set('state', state)
    res.writeHead(302, { location: back.href }).end()
  }

  private token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): unknown {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')]
    if (id !== this.clientId || secret !== this.clientSecret)
      return send(res, 401, { error: 'invalid_client' })
    const code = this.codes.get(form.get('code') ?? '')
    this.codes.delete(form.get('code') ?? '')
    const verifier = form.get('code_verifier') ?? ''
    const pkceOk =
      !code?.challenge ||
      createHash('sha256').update(verifier).digest('base64url') === code.challenge
    if (!code || form.get('redirect_uri') !== code.redirectUri || !pkceOk)
      return send(res, 400, { error: 'bad_verification_code' })
    const accessToken = randomBytes(20).toString('hex')
    this.tokens.set(accessToken, code.account)
    const answer = this.shape.tokenResponse(accessToken, code.scope)
    if (!String(req.headers.accept ?? '').includes('application/json')) {
      const text = new URLSearchParams(answer as Record<string, string>).toString()
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(text)
      return
    }
    send(res, 200, answer)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** GitHub's documented OAuth App endpoints and `/user`, `/user/emails` (REST API 2022-11-28). */
export const GITHUB_SHAPE: OAuth2Shape = {
  authorizePath: '/login/oauth/authorize',
  tokenPath: '/login/oauth/access_token',
  tokenResponse: (access_token, scope) => ({
    access_token,
    token_type: 'bearer',
    scope: scope.split(' ').join(','),
  }),
  resources: {
    '/user': (a) => a.user,
    '/user/emails': (a) => a.emails ?? [],
  },
  requireUserAgent: true,
}

/** Discord's documented OAuth 2 endpoints and `/api/users/@me`. */
export const DISCORD_SHAPE: OAuth2Shape = {
  authorizePath: '/oauth2/authorize',
  tokenPath: '/api/oauth2/token',
  tokenResponse: (access_token, scope) => ({
    access_token,
    token_type: 'Bearer',
    expires_in: 604800,
    refresh_token: randomBytes(20).toString('hex'),
    scope,
  }),
  resources: { '/api/users/@me': (a) => a.me },
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    req.on('end', () => resolve(text))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json))
}
