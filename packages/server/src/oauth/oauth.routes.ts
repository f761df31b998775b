import type { IncomingMessage } from 'node:http'
import { ApiError } from '@latchkey/contracts'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type Provider from 'oidc-provider'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import type { FormGuard } from '../hosted/form-guard.js'
import { consentPage, errorPage } from '../hosted/pages.js'
import { html, userLabel } from '../hosted/respond.js'
import { clientCookieName } from '../http/client-token.js'
import { sendJson } from '../http/define-route.js'
import { forwardAsDecided } from '../http/forwarded.js'
import { securityHeaders } from '../http/security-headers.js'
import type { Services } from '../services.js'
import { OAUTH_PATH, oauthIssuer } from './issuer.js'
import { mayHoldTokens, SCOPE_CLAIMS, signedInUserId, userClaims } from './provider.js'

/**
 * What oidc-provider's HTML (its form_post response, error pages) may do: nothing but inline
 * styles and the inline script oidc-provider hashes into `script-src` itself. No `form-action`:
 * form_post and the held-error page post to the client's redirect URI.
 */
const PROVIDER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'"

/** Client registrations per IP address and hour (anyone may register when it is on). */
const REGISTRATIONS_PER_HOUR = 10

/**
 * Hands a request to oidc-provider (a Koa app) untouched: this scope parses no bodies, so the
 * provider reads the raw stream itself. The provider is mounted at the issuer's path (/oauth):
 * it sees the path below it and `originalUrl`, as under Express, and builds its URLs from both.
 * `reply.hijack()` skips Fastify's sending of the reply's headers, so the headers the global
 * hooks set (security headers, CORS, rate-limit counters) go on the raw response here.
 */
function mountProvider(app: FastifyInstance, provider: Provider, publicUrl: URL) {
  const callback = provider.callback()
  // The provider serves pages as well as JSON, and its answers pass no onSend hook: they carry
  // the document set (under the provider's own CSP).
  const documentHeaders = Object.entries(securityHeaders(publicUrl.protocol === 'https:'))
  const handoff = (req: FastifyRequest, reply: FastifyReply, path: string) => {
    for (const [k, v] of Object.entries(reply.getHeaders()))
      if (v !== undefined) reply.raw.setHeader(k, v)
    for (const [k, v] of documentHeaders) reply.raw.setHeader(k, v)
    reply.raw.setHeader('content-security-policy', PROVIDER_CSP)
    reply.raw.setHeader('x-trace-id', req.id)
    const raw = req.raw as IncomingMessage & { originalUrl?: string }
    const at = (raw.url ?? '').indexOf('?')
    const query = at >= 0 ? (raw.url ?? '').slice(at) : ''
    raw.originalUrl = `${OAUTH_PATH}${path}${query}`
    raw.url = `${path}${query}`
    forwardAsDecided(req, publicUrl)
    reply.hijack()
    void callback(raw, reply.raw)
  }
  const below = (req: FastifyRequest) => req.url.split('?')[0]?.slice(OAUTH_PATH.length) || '/'
  return app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null))
    // Only the rate limiter's refusal reaches this: the handlers hand everything over.
    scope.setErrorHandler((error: FastifyError, req, reply) => {
      const limited = error.statusCode === 429
      if (!limited) req.log.error({ err: error }, 'oauth hand-off failed')
      return reply
        .code(limited ? 429 : 500)
        .header('cache-control', 'no-store')
        .send({
          error: limited ? 'temporarily_unavailable' : 'server_error',
          error_description: limited ? error.message : 'Please try again.',
        })
    })
    scope.route({
      method: ['GET', 'POST', 'PUT', 'DELETE'],
      url: `${OAUTH_PATH}/*`,
      handler: (req, reply) => handoff(req, reply, below(req)),
    })
    // Dynamic client registration is open to anyone when on: a few per address and hour.
    scope.post(
      `${OAUTH_PATH}/register`,
      {
        config: {
          rateLimit: {
            max: REGISTRATIONS_PER_HOUR,
            timeWindow: 3_600_000,
            errorResponseBuilder: (_req, ctx) =>
              Object.assign(
                new Error(`Too many client registrations; try again in ${ctx.after}.`),
                { statusCode: 429 },
              ),
          },
        },
      },
      (req, reply) => handoff(req, reply, '/register'),
    )
    // RFC 8414 §3.1 puts the well-known segment before the issuer's path; some OpenID Connect
    // clients append it after. Both are the /oauth issuer's metadata.
    for (const doc of ['oauth-authorization-server', 'openid-configuration'])
      scope.get(`/.well-known/${doc}${OAUTH_PATH}`, (req, reply) =>
        handoff(req, reply, `/.well-known/${doc}`),
      )
  })
}

/** RFC 6750 §3: the error goes in `WWW-Authenticate` and the body. */
function bearerError(
  reply: FastifyReply,
  config: Config,
  status: 400 | 401 | 403,
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
  description?: string,
) {
  const params = [`realm="${config.url}"`]
  if (error) params.push(`error="${error}"`)
  if (description) params.push(`error_description="${description.replace(/["\\]/g, '')}"`)
  reply.header('www-authenticate', `Bearer ${params.join(', ')}`)
  reply.header('cache-control', 'no-store')
  return reply.code(status).send(error ? { error, error_description: description } : {})
}

const Decision = z.object({ decision: z.enum(['allow', 'deny']) })
const Uid = z.object({ uid: z.string().regex(/^[\w-]{1,64}$/) })

/**
 * "Sign in with <your app>": oidc-provider's endpoints at Clerk's paths, the interaction pages
 * (sign-in hand-off and consent), Clerk's userinfo, and the hosted sign-in page.
 */
export async function oauthRoutes(
  app: FastifyInstance,
  services: Services,
  config: Config,
  provider: Provider,
  forms: FormGuard,
): Promise<void> {
  await mountProvider(app, provider, new URL(config.url))
  // LATCHKEY_URL issues session tokens, not OAuth tokens: there is no authorization server
  // with that issuer, and its metadata is not served (say where the OAuth issuer's is).
  app.get('/.well-known/oauth-authorization-server', (_req, reply) =>
    sendJson(
      reply,
      404,
      ApiError.of('resource_not_found', {
        longMessage: `The OAuth 2 authorization server is the issuer ${oauthIssuer(config)}: its metadata is at ${config.url}/.well-known/oauth-authorization-server${OAUTH_PATH}.`,
      }).toJSON(),
    ),
  )

  await app.register(async (pages) => {
    // oidc-provider's errors (a missing or expired interaction cookie, …) carry their status.
    pages.setErrorHandler((error, req, reply) => {
      const e = error as Error & {
        status?: number
        statusCode?: number
        error?: string
        error_description?: string
      }
      const given = e.status ?? e.statusCode
      const status = given && given < 500 ? given : 500
      if (status === 500) req.log.error({ err: error }, 'oauth interaction failed')
      return html(
        reply,
        status,
        errorPage(
          e.error ?? (status === 500 ? 'server_error' : 'invalid_request'),
          e.error_description ?? (status === 500 ? 'Please start again.' : e.message),
        ),
      )
    })
    interactionRoutes(pages, services, config, provider, forms)
  })

  // Clerk's userinfo: the caller's claims by scope, with `object`, `instance_id` and `user_id`.
  const userinfo = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization
    const fromBody =
      req.method === 'POST' && req.body && typeof req.body === 'object'
        ? (req.body as Record<string, unknown>).access_token
        : undefined
    if (header && fromBody !== undefined)
      return bearerError(reply, config, 400, 'invalid_request', 'access token sent twice')
    let token: string | undefined
    if (header) {
      const m = /^Bearer\s+([\x21-\x7e]+)$/i.exec(header)
      if (!m)
        return bearerError(reply, config, 400, 'invalid_request', 'malformed Authorization header')
      token = m[1]
    } else if (typeof fromBody === 'string') token = fromBody
    if (!token) return bearerError(reply, config, 401)
    const accessToken = await provider.AccessToken.find(token)
    const grant = accessToken?.grantId ? await provider.Grant.find(accessToken.grantId) : undefined
    const client = accessToken?.clientId
      ? await provider.Client.find(accessToken.clientId)
      : undefined
    if (!accessToken?.accountId || !grant || !client)
      return bearerError(
        reply,
        config,
        401,
        'invalid_token',
        'access token is invalid, expired or revoked',
      )
    const found = await services.users.findById(accessToken.accountId)
    if (!found || !mayHoldTokens(found))
      return bearerError(
        reply,
        config,
        401,
        'invalid_token',
        'the user no longer exists, is banned or is locked',
      )
    const { user, emails } = await services.users.withEmails(found.id)
    const claims: Record<string, unknown> = userClaims(user, emails, config.url)
    const body: Record<string, unknown> = {
      object: 'user_info',
      instance_id: services.instance.id,
      user_id: user.id,
      sub: user.id,
    }
    for (const scope of accessToken.scopes) {
      const released = SCOPE_CLAIMS[scope as keyof typeof SCOPE_CLAIMS]
      for (const claim of released ?? []) body[claim] = claims[claim]
    }
    if (accessToken.scopes.has('profile')) body.username = user.username
    reply.header('cache-control', 'no-store')
    reply.header('access-control-allow-origin', '*')
    return reply.send(body)
  }
  app.get('/oauth/userinfo', userinfo)
  app.post('/oauth/userinfo', userinfo)
}

/** The sign-in hand-off and the consent screen of an authorization in progress. */
function interactionRoutes(
  app: FastifyInstance,
  services: Services,
  config: Config,
  provider: Provider,
  forms: FormGuard,
): void {
  // The provider sends the browser here whenever the user must sign in or consent.
  app.get('/oauth/interaction/:uid', async (req, reply) => {
    const uid = Uid.safeParse(req.params).data?.uid
    if (!uid) return html(reply, 400, errorPage('invalid_request', 'unknown interaction'))
    const details = await provider.interactionDetails(req.raw, reply.raw)
    if (details.uid !== uid)
      return html(reply, 400, errorPage('invalid_request', 'interaction mismatch'))
    const userId = await signedInUserId(services, req.cookies[clientCookieName(config.url)])
    if (!userId) {
      const back = `${config.url}/oauth/interaction/${uid}`
      return reply.redirect(`/sign-in?redirect_url=${encodeURIComponent(back)}`, 303)
    }
    if (details.prompt.name === 'login' || details.session?.accountId !== userId) {
      const to = await provider.interactionResult(
        req.raw,
        reply.raw,
        { login: { accountId: userId } },
        { mergeWithLastSubmission: false },
      )
      return reply.redirect(to, 303)
    }
    const client = await provider.Client.find(String(details.params.client_id))
    const action = `/oauth/interaction/${uid}`
    return html(
      reply,
      200,
      consentPage({
        action,
        token: forms.token(req, reply, action),
        applicationName: client?.clientName ?? String(details.params.client_id),
        scopes: await requestedScopes(provider, details),
        userLabel: await userLabel(services, userId),
      }),
    )
  })

  app.post('/oauth/interaction/:uid', async (req, reply) => {
    const uid = Uid.safeParse(req.params).data?.uid
    if (!uid) return html(reply, 400, errorPage('invalid_request', 'unknown interaction'))
    const refused = forms.check(req, `/oauth/interaction/${uid}`)
    if (refused === 'cross_site')
      return html(reply, 403, errorPage('access_denied', 'the form was sent from another site'))
    if (refused === 'token')
      return html(
        reply,
        403,
        errorPage(
          'invalid_request',
          'the form has expired; go back to the application and start again',
        ),
      )
    const parsed = Decision.safeParse(req.body)
    if (!parsed.success)
      return html(reply, 400, errorPage('invalid_request', 'decision is missing'))
    const details = await provider.interactionDetails(req.raw, reply.raw)
    const userId = await signedInUserId(services, req.cookies[clientCookieName(config.url)])
    if (details.uid !== uid || !userId || details.session?.accountId !== userId)
      return html(reply, 400, errorPage('invalid_request', 'the sign-in changed; start again'))
    if (parsed.data.decision === 'deny') {
      const to = await provider.interactionResult(
        req.raw,
        reply.raw,
        { error: 'access_denied', error_description: 'The user denied the request.' },
        { mergeWithLastSubmission: false },
      )
      return reply.redirect(to, 303)
    }
    const clientId = String(details.params.client_id)
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: userId, clientId })
    if (!grant)
      return html(reply, 400, errorPage('invalid_request', 'the grant expired; start again'))
    const promptDetails = details.prompt.details
    const missingScope = promptDetails.missingOIDCScope as string[] | undefined
    const missingClaims = promptDetails.missingOIDCClaims as string[] | undefined
    if (missingScope?.length) grant.addOIDCScope(missingScope.join(' '))
    if (missingClaims?.length) grant.addOIDCClaims(missingClaims)
    const grantId = await grant.save()
    const to = await provider.interactionResult(
      req.raw,
      reply.raw,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    )
    return reply.redirect(to, 303)
  })
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>

/**
 * What the consent screen lists: every scope the application asked for that it will hold once
 * the user allows — those still missing and those an existing grant already gives. (With
 * `prompt=consent` and a grant, nothing is missing, yet the user is asked about all of it.)
 * Scopes oidc-provider dropped (unknown ones, `offline_access` it will not honour) are in neither.
 */
async function requestedScopes(provider: Provider, details: Details): Promise<string[]> {
  const requested = new Set(String(details.params.scope ?? '').split(' '))
  requested.delete('')
  const missing = new Set((details.prompt.details.missingOIDCScope as string[] | undefined) ?? [])
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined
  const granted = new Set(grant?.getOIDCScopeFiltered(requested).split(' '))
  return [...requested].filter((s) => missing.has(s) || granted.has(s))
}
