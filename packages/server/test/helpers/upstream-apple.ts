import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import {
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
  type KeyObject,
  SignJWT,
} from 'jose'
import { freePort } from './test-server.js'

export type AppleAccount = {
  email: string
  firstName: string
  lastName: string
  isPrivateEmail?: boolean
}

type Code = { account: string; nonce: string | null; redirectUri: string }

/**
 * Sign in with Apple on loopback, written from Apple's documentation: discovery, a JWKS, an
 * authorize endpoint that answers with an auto-submitting `form_post` page (the `user` field
 * with the name on an account's FIRST authorization only), and a token endpoint that accepts
 * only a client secret that is an ES256 JWT from the team's key (`iss` team id, `sub` client id,
 * `aud` the issuer, `kid` the key id), verified with jose. ID tokens are RS256 with `nonce`,
 * `email` and `email_verified` as the string "true", as Apple sends them.
 */
export class AppleStandIn {
  readonly accounts = new Map<string, AppleAccount>()
  signInAs = ''
  readonly clientId = 'com.example.latchkey.web'
  readonly teamId = 'TEAM123456'
  readonly keyId = 'KEY1234567'
  /** The team's private key, as the operator downloads it (.p8, PKCS #8 PEM). */
  privateKeyPem = ''
  readonly issuer: string
  /** The claims of each client secret the token endpoint accepted. */
  readonly clientSecrets: JWTPayload[] = []
  private teamPublicKey!: KeyObject
  private signing!: { privateKey: KeyObject; kid: string; jwk: object }
  private readonly authorized = new Set<string>()
  private readonly codes = new Map<string, Code>()
  private readonly server: Server
  private readonly callbackUrl: string

  private constructor(issuer: string, server: Server, callbackUrl: string) {
    this.issuer = issuer
    this.server = server
    this.callbackUrl = callbackUrl
  }

  static async start(callbackUrl: string): Promise<AppleStandIn> {
    const port = await freePort()
    const server = createServer()
    const apple = new AppleStandIn(`http://127.0.0.1:${port}`, server, callbackUrl)
    const team = await generateKeyPair('ES256', { extractable: true })
    apple.privateKeyPem = await exportPKCS8(team.privateKey)
    apple.teamPublicKey = team.publicKey as KeyObject
    const sig = await generateKeyPair('RS256', { extractable: true })
    const kid = 'apple-test-signing-key'
    apple.signing = {
      privateKey: sig.privateKey as KeyObject,
      kid,
      jwk: { ...(await exportJWK(sig.publicKey)), kid, alg: 'RS256', use: 'sig' },
    }
    server.on('request', (req, res) => {
      apple.handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }))
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return apple
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? '/', this.issuer)
    if (url.pathname === '/.well-known/openid-configuration') return json(res, 200, this.metadata())
    if (url.pathname === '/auth/keys') return json(res, 200, { keys: [this.signing.jwk] })
    if (url.pathname === '/auth/authorize' && req.method === 'GET') return this.authorize(url, res)
    if (url.pathname === '/auth/token' && req.method === 'POST')
      return this.token(res, new URLSearchParams(await body(req)))
    json(res, 404, { error: 'not_found' })
  }

  private metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/auth/authorize`,
      token_endpoint: `${this.issuer}/auth/token`,
      jwks_uri: `${this.issuer}/auth/keys`,
      response_types_supported: ['code', 'code id_token', 'id_token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'name'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      claims_supported: [
        'aud',
        'email',
        'email_verified',
        'exp',
        'iat',
        'is_private_email',
        'iss',
        'nonce',
        'nonce_supported',
        'real_user_status',
        'sub',
        'transfer_sub',
      ],
    }
  }

  private authorize(url: URL, res: ServerResponse): unknown {
    const q = url.searchParams
    if (q.get('client_id') !== this.clientId || q.get('redirect_uri') !== this.callbackUrl)
      return json(res, 400, { error: 'invalid_client' })
    const scope = (q.get('scope') ?? '').split(' ')
    // Apple: "response_mode must be form_post when name or email scope is requested".
    if (
      (scope.includes('name') || scope.includes('email')) &&
      q.get('response_mode') !== 'form_post'
    )
      return json(res, 400, { error: 'invalid_request' })
    const account = this.accounts.get(this.signInAs)
    if (!account) return json(res, 400, { error: 'no such account' })
    const code = randomBytes(16).toString('hex')
    this.codes.set(code, {
      account: this.signInAs,
      nonce: q.get('nonce'),
      redirectUri: this.callbackUrl,
    })
    const fields: Record<string, string> = { state: q.get('state') ?? '', code }
    // The name reaches the app once: on the account's first authorization of this client.
    if (!this.authorized.has(this.signInAs) && scope.includes('name')) {
      fields.user = JSON.stringify({
        name: { firstName: account.firstName, lastName: account.lastName },
        email: account.email,
      })
    }
    this.authorized.add(this.signInAs)
    const inputs = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v)}">`)
      .join('')
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<html><body onload="document.forms[0].submit()"><form method="POST" action="${escapeHtml(this.callbackUrl)}">${inputs}</form></body></html>`,
      )
  }

  private async token(res: ServerResponse, form: URLSearchParams): Promise<unknown> {
    if (form.get('client_id') !== this.clientId) return json(res, 400, { error: 'invalid_client' })
    try {
      const { payload, protectedHeader } = await jwtVerify(
        form.get('client_secret') ?? '',
        this.teamPublicKey,
        {
          algorithms: ['ES256'],
          issuer: this.teamId,
          subject: this.clientId,
          audience: this.issuer,
        },
      )
      if (protectedHeader.kid !== this.keyId) throw new Error('wrong kid')
      this.clientSecrets.push(payload)
    } catch {
      return json(res, 400, { error: 'invalid_client' })
    }
    const code = this.codes.get(form.get('code') ?? '')
    this.codes.delete(form.get('code') ?? '')
    if (
      !code ||
      form.get('redirect_uri') !== code.redirectUri ||
      form.get('grant_type') !== 'authorization_code'
    )
      return json(res, 400, { error: 'invalid_grant' })
    const account = this.accounts.get(code.account) as AppleAccount
    const idToken = await new SignJWT({
      email: account.email,
      email_verified: 'true',
      is_private_email: account.isPrivateEmail ? 'true' : 'false',
      auth_time: Math.floor(Date.now() / 1000),
      nonce_supported: true,
      ...(code.nonce ? { nonce: code.nonce } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.signing.kid })
      .setIssuer(this.issuer)
      .setAudience(this.clientId)
      .setSubject(code.account)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(this.signing.privateKey)
    json(res, 200, {
      access_token: randomBytes(20).toString('hex'),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: randomBytes(20).toString('hex'),
      id_token: idToken,
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** The fields of the form_post page Apple answers the authorize request with. */
export function formPostFields(html: string): { action: string; fields: Record<string, string> } {
  const unescapeHtml = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  const action = /<form method="POST" action="([^"]*)"/.exec(html)?.[1] ?? ''
  const fields: Record<string, string> = {}
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    fields[m[1] as string] = unescapeHtml(m[2] as string)
  return { action: unescapeHtml(action), fields }
}

const escapeHtml = (v: string) =>
  v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

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

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}
