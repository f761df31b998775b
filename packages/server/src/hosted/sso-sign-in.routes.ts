import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance } from 'fastify'
import { clientCookieName } from '../http/client-token.js'
import { deviceOf } from '../http/define-route.js'
import { signedInUserId } from '../oauth/provider.js'
import type { Device } from '../sessions/sessions.service.js'
import { type FormDeps, type FormOutcome, pathWith, respondOutcome } from './form-flow.js'
import { errorPage } from './pages.js'
import { html } from './respond.js'

const CALLBACK_PATH = '/sign-in/sso-callback'

/** The URL the provider's or IdP's answer comes back to for a hosted form, then `redirect_url`. */
function callbackUrl(d: FormDeps, redirectUrl: string | undefined): string {
  return pathWith(new URL(CALLBACK_PATH, d.config.url).href, { redirect_url: redirectUrl })
}

/** A started redirect sign-in's next page: the provider's (or IdP's) authorization URL. */
async function toProvider(
  d: FormDeps,
  result: { signIn: { id: string }; newClientToken?: string | undefined },
): Promise<FormOutcome | undefined> {
  const v = await d.services.verifications.find(result.signIn.id, 'first_factor')
  if (!v?.redirect_url) return undefined
  return { kind: 'next', location: v.redirect_url, newClientToken: result.newClientToken }
}

/** The enabled social connections, for the hosted sign-in page's buttons (environment order). */
export async function hostedProviders(d: FormDeps): Promise<{ strategy: string; name: string }[]> {
  const social = (await d.services.oauthConnections.socialSettings()) as Record<
    string,
    { strategy: string; name: string }
  >
  return Object.values(social).map((s) => ({ strategy: s.strategy, name: s.name }))
}

/**
 * "Continue with <provider>" on the hosted sign-in page without JavaScript: the button is the
 * form's submit with `strategy=oauth_<provider>`; the sign-in starts as Clerk's redirect flow
 * and the browser goes to the provider, back through `/v1/oauth_callback` to {@link CALLBACK_PATH}.
 */
export async function providerSignInOutcome(
  d: FormDeps,
  form: { strategy: string; redirect_url?: string | undefined },
  clientId: string | undefined,
  device: Device,
): Promise<FormOutcome> {
  const enabled = await hostedProviders(d)
  if (!enabled.some((p) => p.strategy === form.strategy))
    throw ApiError.of('form_param_value_invalid', {
      longMessage: 'That way of signing in is not available.',
      meta: { param_name: 'strategy' },
    })
  const back = callbackUrl(d, form.redirect_url)
  const result = await d.services.signIns.create(
    { strategy: form.strategy, redirectUrl: back, actionCompleteRedirectUrl: back },
    clientId,
    device,
  )
  const next = await toProvider(d, result)
  if (!next) throw ApiError.of('oauth_token_exchange_error')
  return next
}

/**
 * The hosted sign-in form without JavaScript, for an address whose domain has an active
 * enterprise connection (issue #18): the sign-in goes to that IdP instead of checking a password,
 * and comes back to {@link CALLBACK_PATH}. Undefined when no connection covers the address.
 */
export async function enterpriseSignInOutcome(
  d: FormDeps,
  form: { identifier: string; redirect_url?: string | undefined },
  clientId: string | undefined,
  device: Device,
): Promise<FormOutcome | undefined> {
  const email = form.identifier.trim().toLowerCase()
  if (!email.includes('@') || !(await d.services.enterpriseConnections.forEmail(email)))
    return undefined
  const back = callbackUrl(d, form.redirect_url)
  const result = await d.services.signIns.create(
    {
      identifier: email,
      strategy: 'enterprise_sso',
      redirectUrl: back,
      actionCompleteRedirectUrl: back,
    },
    clientId,
    device,
  )
  return toProvider(d, result)
}

/**
 * Where the provider's or IdP's answer lands for the hosted form (after `/v1/oauth_callback`): Clerk's
 * `handleRedirectCallback` on the server. A signed-in browser goes on to `redirect_url`; a
 * sign-in whose account belongs to nobody yet becomes the user (Clerk's sign-up with
 * `transfer: true`), then goes on; anything else says why on a page.
 */
export function enterpriseSsoRoutes(app: FastifyInstance, d: FormDeps): void {
  app.get(CALLBACK_PATH, async (req, reply) => {
    const q = req.query as Record<string, unknown>
    const token = req.cookies[clientCookieName(d.config.url)]
    const client = token ? await d.services.clients.resolve(token) : undefined
    const signIn = client?.sign_in_id ? await d.services.signIns.find(client.sign_in_id) : undefined
    const first = signIn
      ? await d.services.verifications.find(signIn.id, 'first_factor')
      : undefined
    if (client && first?.status === 'transferable') {
      const up = await d.services.signUps.transfer(client.id, deviceOf(req))
      if (up.signUp.status === 'complete' && up.signUp.created_user_id)
        return respondOutcome(
          d,
          req,
          reply,
          {
            kind: 'done',
            userId: up.signUp.created_user_id,
            newClientToken: up.newClientToken,
            redirect: q.redirect_url,
          },
          'after_sign_in_url',
        )
      const why =
        'The identity provider did not give everything this sign-up needs. Sign up in the app.'
      return html(reply, 422, errorPage('Sign-up not complete', why))
    }
    const userId = await signedInUserId(d.services, token)
    if (userId)
      return respondOutcome(
        d,
        req,
        reply,
        { kind: 'done', userId, redirect: q.redirect_url },
        'after_sign_in_url',
      )
    const why =
      signIn?.status === 'needs_second_factor'
        ? 'This account uses two-step verification, which this page cannot ask for yet. Sign in with an app that supports it.'
        : 'The sign-in did not complete. Please start again.'
    return html(reply, 400, errorPage('Not signed in', why))
  })
}
