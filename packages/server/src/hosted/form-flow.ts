import { ApiError } from '@latchkey/contracts'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/config.schema.js'
import { clientCookieName, writeClientToken } from '../http/client-token.js'
import { retryAfterOf } from '../http/error-handler.js'
import type { Services } from '../services.js'
import type { FormGuard } from './form-guard.js'
import { errorPage, signedInPage } from './pages.js'
import { html, safeRedirect, userLabel } from './respond.js'

/**
 * Where a hosted form post leads: signed in (to the redirect URL, the configured page or the
 * "signed in" page), or the next step of a flow (a page of this server, by a 303, so a reload
 * does not post again).
 */
export type FormOutcome =
  | { kind: 'done'; userId: string; newClientToken?: string | undefined; redirect: unknown }
  | { kind: 'next'; location: string; newClientToken?: string | undefined }

/** What every hosted form route needs. */
export type FormDeps = { services: Services; config: Config; forms: FormGuard }

/**
 * The hosted forms share the Frontend API's limits: 5 sign-in or sign-up creations per 10 s per
 * IP, and the sign-in's password check counts in the per-IP window every password check shares
 * (users/password-attempts.ts).
 */
export const CREATE_LIMIT = { max: 5, timeWindow: 10_000 }

/** The limits a flow's steps share with the Frontend API's: 3 per 10 s per IP (Clerk's). */
export const STEP_LIMIT = { max: 3, timeWindow: 10_000 }

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

/**
 * A form error as the page shows it: Clerk errors by their message, Fastify's own (a body it
 * cannot parse) by status, anything else as a 500 that is logged.
 */
export function formError(error: unknown, req: FastifyRequest, reply: FastifyReply) {
  const fastifyStatus = (error as { statusCode?: number }).statusCode
  const status =
    error instanceof ApiError
      ? error.status
      : fastifyStatus && fastifyStatus < 500
        ? fastifyStatus
        : 500
  const message =
    error instanceof ApiError
      ? (error.errors[0]?.longMessage ?? error.message)
      : status < 500
        ? 'The form could not be read. Please try again.'
        : 'Something went wrong. Please try again.'
  if (status === 500) req.log.error({ err: error }, 'hosted form failed')
  if (status === 429)
    reply.header('retry-after', String((error instanceof ApiError && retryAfterOf(error)) || 10))
  return { status, message }
}

/** Refuses a post another site sent, or one no page of ours rendered for this browser. */
export function assertFormPost(forms: FormGuard, req: FastifyRequest, action: string): void {
  const refused = forms.check(req, action)
  if (refused === 'cross_site')
    throw ApiError.of('origin_invalid', {
      longMessage: 'This form was sent from another site. Sign in on this page.',
    })
  if (refused === 'token') throw ApiError.of('form_token_invalid')
}

/** The browser's client (its `__client` cookie), if it has one. */
export async function clientIdOf(d: FormDeps, req: FastifyRequest): Promise<string | undefined> {
  const token = req.cookies[clientCookieName(d.config.url)]
  const client = token ? await d.services.clients.resolve(token) : undefined
  return client?.id
}

/** Answers a form post that succeeded: the client cookie, then the next page or the app. */
export async function respondOutcome(
  d: FormDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  outcome: FormOutcome,
  fallback: 'after_sign_in_url' | 'after_sign_up_url',
) {
  if (outcome.newClientToken) writeClientToken(req, reply, outcome.newClientToken, d.config.url)
  if (outcome.kind === 'next') return reply.redirect(outcome.location, 303)
  if (await pendingTasks(d, outcome.newClientToken)) {
    // MFA required and none enrolled (issue #17): the session waits on Clerk's `setup-mfa`
    // task, which these pages cannot do yet. Say so rather than land the user as signed in.
    const why =
      'This application requires two-step verification. Set up an authenticator app where the application offers it, then sign in again'
    return html(reply, 403, errorPage('Two-step verification required', why))
  }
  const redirectUrl =
    (await safeRedirect(d.services, d.config, outcome.redirect)) ??
    (await d.services.instance.settings()).paths[fallback] ??
    undefined
  if (redirectUrl) return reply.redirect(redirectUrl, 303)
  return html(reply, 200, signedInPage(await userLabel(d.services, outcome.userId)))
}

/** Whether the client the form signed in (by its new token) has a session pending its tasks. */
async function pendingTasks(d: FormDeps, clientToken: string | undefined): Promise<boolean> {
  const client = clientToken ? await d.services.clients.resolve(clientToken) : undefined
  const sid = client?.last_active_session_id
  const session = sid ? await d.services.sessions.find(sid) : undefined
  return session ? d.services.sessions.toJSON(session).status === 'pending' : false
}

/** A path of this server with its query (empty values left out). */
export function pathWith(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

/**
 * A hosted form's sign-in ends signed in only when it completed. A user with a second factor
 * (issue #17) waits at `needs_second_factor`, which these pages cannot ask for yet: say so
 * rather than land them as if signed in.
 */
export function completedUserId(signIn: { status: string; user_id: string | null }): string {
  if (signIn.status !== 'complete' || !signIn.user_id) {
    throw ApiError.of('strategy_for_user_invalid', {
      longMessage:
        'This account uses two-step verification, which this page cannot ask for yet. Sign in with an app that supports it.',
    })
  }
  return signIn.user_id
}
