import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import Provider from 'oidc-provider'
import { freePort } from './test-server.js'

/** What the upstream IdP says about one of its accounts: the test decides, the IdP signs. */
export type UpstreamAccount = {
  email?: string
  email_verified?: boolean
  given_name?: string
  family_name?: string
  /** Any other claim the IdP's shape releases (`picture`, `name`, Microsoft's `xms_edov`). */
  [claim: string]: unknown
}

/**
 * A provider's discovery shape: the issuer's path (Microsoft's `/<tenant>/v2.0`), the claims
 * each scope releases, and whether they ride in the ID token itself (Google, Microsoft) or
 * only at userinfo (oidc-provider's default).
 */
export type IdpShape = {
  path?: string
  claims?: Record<string, string[]>
  claimsInIdToken?: boolean
}

/**
 * A real OpenID Connect provider on loopback (oidc-provider, the library behind Latchkey's own
 * provider), standing in for Google, Okta or any IdP: one confidential client for Latchkey's
 * callback, accounts whose claims the test sets, and an interaction that signs in as
 * `signInAs` and consents without a page — the person at the provider, scripted.
 */
export class UpstreamIdp {
  readonly accounts = new Map<string, UpstreamAccount>()
  /** The account the next interaction signs in as. */
  signInAs = ''
  /** Lifetime in seconds of the access tokens issued from now on (short to test refresh). */
  accessTokenTtl = 3600
  /** Whether refresh tokens are issued with the code (a provider that allows refresh). */
  refreshTokens = true
  readonly clientId = 'latchkey-test'
  readonly clientSecret = 'upstream-client-secret-0123456789abcdef'
  readonly issuer: string
  private readonly server: Server

  private constructor(issuer: string, server: Server) {
    this.issuer = issuer
    this.server = server
  }

  /**
   * `loginForm: true`: the login prompt is a page with a form (`input[name=login]`, the account
   * id, and a "Sign in" button) that a browser test fills, as a person would at Google; an
   * unknown account gets the form again with an error. Consent stays scripted.
   */
  static async start(
    callbackUrl: string,
    shape: IdpShape & { loginForm?: boolean } = {},
  ): Promise<UpstreamIdp> {
    const port = await freePort()
    const mount = shape.path ?? ''
    const issuer = `http://127.0.0.1:${port}${mount}`
    const server = createServer()
    const idp = new UpstreamIdp(issuer, server)
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: idp.clientId,
          client_secret: idp.clientSecret,
          redirect_uris: [callbackUrl],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      claims: shape.claims ?? {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['given_name', 'family_name'],
      },
      conformIdTokenClaims: !shape.claimsInIdToken,
      findAccount: (_ctx, id) => {
        const claims = idp.accounts.get(id)
        return claims ? { accountId: id, claims: () => ({ sub: id, ...claims }) } : undefined
      },
      interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
      features: { devInteractions: { enabled: false } },
      cookies: { keys: ['upstream-idp-test-cookie-key'] },
      // A provider that issues refresh tokens without `offline_access` (as GitHub Apps and
      // Google with `access_type=offline` do), rotating each on use.
      issueRefreshToken: async (_ctx, client) =>
        idp.refreshTokens && client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: true,
      ttl: { AccessToken: () => idp.accessTokenTtl },
    })
    const callback = provider.callback()
    server.on('request', (req, res) => {
      // Mounted under the issuer's path, as behind a router: oidc-provider reads the mount
      // point from `originalUrl` and builds its endpoint URLs under it.
      if (mount) {
        if (!req.url?.startsWith(`${mount}/`)) {
          res.statusCode = 404
          return res.end()
        }
        Object.assign(req, { originalUrl: req.url })
        req.url = req.url.slice(mount.length)
      }
      if (!req.url?.startsWith('/interaction/')) return callback(req, res)
      void (async () => {
        const details = await provider.interactionDetails(req, res)
        if (details.prompt.name === 'login') {
          if (!shape.loginForm) {
            await provider.interactionFinished(req, res, { login: { accountId: idp.signInAs } })
            return
          }
          if (req.method !== 'POST') return loginPage(res, details.uid, '')
          const login = new URLSearchParams(await readBody(req)).get('login') ?? ''
          if (!idp.accounts.has(login)) return loginPage(res, details.uid, 'No such account.')
          await provider.interactionFinished(req, res, { login: { accountId: login } })
          return
        }
        const accountId = details.session?.accountId ?? idp.signInAs
        const grant = new provider.Grant({ accountId, clientId: idp.clientId })
        const missing = details.prompt.details as {
          missingOIDCScope?: string[]
          missingOIDCClaims?: string[]
        }
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
        const grantId = await grant.save()
        await provider.interactionFinished(req, res, { consent: { grantId } })
      })().catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return idp
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** The IdP's sign-in page: one field, one button, a fixed layout a browser test can drive. */
function loginPage(res: ServerResponse, uid: string, error: string): void {
  const esc = (v: string) => v.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
  res.statusCode = 200
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end(`<!doctype html><html lang="en"><head><title>Upstream IdP: sign in</title></head><body>
<h1>Sign in to the upstream IdP</h1>
<form method="post" action="/interaction/${esc(uid)}">
<p id="idp-error">${esc(error)}</p>
<label>Account <input name="login" autocomplete="username"></label>
<button type="submit">Sign in</button>
</form></body></html>`)
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 10_000) break
  }
  return body
}
