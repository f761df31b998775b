import { ApiError } from '@latchkey/contracts'
import type { OAuthFlowRow } from '@latchkey/db'
import type { FastifyInstance, FastifyReply } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { readClientToken, writeClientToken } from '../http/client-token.js'
import { deviceOf } from '../http/define-route.js'
import type { Services } from '../services.js'

// `user`: Apple posts the person's name there, once, on the first authorization
// (providers/apple.ts); it travels bounded like the rest and only Apple's mapping reads it.
const RESPONSE_PARAMS = [
  'code',
  'state',
  'iss',
  'scope',
  'error',
  'error_description',
  'user',
] as const

/** Marks a callback forwarded to the app's proxy, so it is forwarded at most once. */
const HOPPED = 'latchkey_proxied'

const CallbackQuery = z.looseObject({
  state: z.string().min(1).max(512),
  [HOPPED]: z.string().max(8).optional(),
  code: z.string().max(4096).optional(),
  error: z.string().max(256).optional(),
})

/**
 * `GET /v1/oauth_callback` (fapi spec `getOauthCallback`): where a provider sends the browser
 * back. The state finds the flow; it must be this browser's (its `__client`), unexpired and
 * unused; the engine counts the attempt and claims the verification once; the strategy
 * exchanges the code. Then the browser goes to the app's `redirect_url`, or to
 * `action_complete_redirect_url` when the sign-in completed. A forged, replayed or foreign
 * state gets Clerk's error as JSON and changes nothing; a provider's refusal or a token that
 * does not check out fails the verification and returns to the app, which reads the sign-in.
 *
 * A flow started through the app's proxy of the Frontend API (clerk-js with `proxyUrl:
 * '/__clerk'`) has its client cookie on the app's origin, which a provider's redirect to
 * Latchkey's URL does not carry: the callback forwards the response, once, to the same path on
 * that proxy (an allowed origin, recorded when the flow began), where the cookie comes along.
 *
 * `POST` (a provider's `response_mode=form_post`) answers 303 to the same GET: the `__client`
 * cookie is `SameSite=Lax`, so only a top-level GET carries it.
 */
export function oauthCallbackRoutes(
  app: FastifyInstance,
  services: Services,
  config: Config,
): void {
  app.post('/v1/oauth_callback', async (req, reply) => {
    // Only the authorization response's parameters travel on, each bounded (RFC 6749 §4.1.2).
    const body = (req.body ?? {}) as Record<string, unknown>
    const form = new URLSearchParams()
    for (const name of RESPONSE_PARAMS) {
      const v = body[name]
      if (typeof v !== 'string') continue
      if (v.length > 4096) return fail(reply, ApiError.of('verification_missing'))
      form.set(name, v)
    }
    const to = new URL('/v1/oauth_callback', config.url)
    to.search = form.toString()
    return redirect(reply, to.href)
  })

  app.get('/v1/oauth_callback', async (req, reply) => {
    const parsed = CallbackQuery.safeParse(req.query ?? {})
    if (!parsed.success) return fail(reply, ApiError.of('verification_missing'))
    const token = readClientToken(req, config.url)?.value
    const client = token ? await services.clients.resolve(token) : undefined
    const flow = await services.externalAccounts.findFlowByState(parsed.data.state)
    if (!flow) return fail(reply, ApiError.of('verification_missing'))
    if (flow.client_id !== client?.id) {
      // Started through the app's proxy: this browser's cookie is on the app's origin. The
      // response goes there once, where the same check meets that cookie; a browser that is
      // not the flow's is refused there (login CSRF), never here on the state's word alone.
      if (flow.proxy_url && flow.used_at === null && parsed.data[HOPPED] === undefined)
        return redirect(reply, proxiedCallback(flow.proxy_url, req.query))
      return fail(reply, ApiError.of('verification_client_mismatch'))
    }
    // A state is good for one callback, whatever became of it (a replay of a used one).
    if (flow.used_at !== null) return fail(reply, ApiError.of('verification_already_verified'))
    if (flow.session_id !== null)
      return connectCallback(services, flow, client.id, new URL(req.url, config.url), reply)
    const row = await services.verifications.find(flow.owner_id, 'first_factor')
    if (!row || row.id !== flow.verification_id)
      return fail(reply, ApiError.of('verification_missing'))
    const device = deviceOf(req)
    const callbackUrl = new URL('/v1/oauth_callback', config.url)
    callbackUrl.search = responseParams(req.query).toString()
    const strategy = services.verifications.strategy(row.strategy, [row.strategy])
    try {
      await services.verifications.attemptRow(
        strategy,
        row,
        undefined,
        client.id,
        { callbackUrl },
        device,
      )
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      const known = ['oauth_token_exchange_error', 'oauth_access_denied'].includes(error.code)
      if (!known) return fail(reply, error)
      await services.verifications.settle(row.id, 'failed')
      return redirect(reply, flow.redirect_url)
    }
    const claims = await services.externalAccounts.claimsOf(flow.id)
    // The flow's owner is a sign-in or, for a sign-up that started at the provider, a sign-up.
    const args = [flow.owner_id, flow.provider, claims, row.id, device] as const
    const done = flow.owner_id.startsWith('sua_')
      ? await services.signUps
          .completeOAuth(...args)
          .then((r) => ({ ...r, status: r.signUp.status }))
      : await services.signIns
          .completeOAuth(...args)
          .then((r) => ({ ...r, status: r.signIn.status }))
    if (done.newClientToken) writeClientToken(req, reply, done.newClientToken, config.url)
    const complete = done.status === 'complete' && flow.action_complete_redirect_url
    return redirect(reply, complete || flow.redirect_url)
  })
}

/**
 * A connect flow's callback (`POST /v1/me/external_accounts`): linked to the session that
 * started it, in the browser that started it (checked above: the flow's client is this
 * `__client`). Back to the app's `redirect_url` either way; a refusal (another user's provider
 * account, a provider that said no) adds `latchkey_error=<code>` to it, and links nothing.
 */
async function connectCallback(
  services: Services,
  flow: OAuthFlowRow,
  clientId: string,
  callbackUrl: URL,
  reply: FastifyReply,
) {
  try {
    await services.externalAccounts.completeConnect(flow, clientId, callbackUrl)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    // Not this session's flow any more (signed out, another user): nothing to send back to.
    if (!CONNECT_OUTCOMES.has(error.code)) return fail(reply, error)
    const to = new URL(flow.redirect_url)
    to.searchParams.set('latchkey_error', error.code)
    return redirect(reply, to.href)
  }
  return redirect(reply, flow.action_complete_redirect_url ?? flow.redirect_url)
}

const CONNECT_OUTCOMES = new Set([
  'external_account_exists',
  'external_account_mismatch',
  'oauth_access_denied',
  'oauth_token_exchange_error',
])
/** The authorization response's own parameters (RFC 6749 §4.1.2, RFC 9207 `iss`), no others. */
function responseParams(query: unknown): URLSearchParams {
  const q = (query ?? {}) as Record<string, unknown>
  const out = new URLSearchParams()
  for (const name of RESPONSE_PARAMS) {
    const v = q[name]
    if (typeof v === 'string') out.set(name, v)
  }
  return out
}

/** The same callback on the app's proxy of the Frontend API, marked as forwarded. */
function proxiedCallback(proxyUrl: string, query: unknown): string {
  const to = new URL(`${proxyUrl}/v1/oauth_callback`)
  const params = responseParams(query)
  params.set(HOPPED, '1')
  to.search = params.toString()
  return to.href
}

const redirect = (reply: FastifyReply, to: string) =>
  reply.code(303).header('cache-control', 'no-store').header('location', to).send()

const fail = (reply: FastifyReply, error: ApiError) =>
  reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send(JSON.stringify(error.toJSON()))
