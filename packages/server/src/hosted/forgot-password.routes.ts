import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance } from 'fastify'
import * as z from 'zod'
import { deviceOf } from '../http/define-route.js'
import { flowStepRoutes } from './flow-step.js'
import {
  assertFormPost,
  CREATE_LIMIT,
  clientIdOf,
  completedUserId,
  type FormDeps,
  formError,
  pathWith,
  respondOutcome,
  str,
} from './form-flow.js'
import { html, safeRedirect } from './respond.js'
import { emailPage, newPasswordPage } from './verify-pages.js'

/** The pages that start a sign-in by mail: where they post and where the code is entered. */
const STARTS = [
  {
    path: '/sign-in/forgot-password',
    strategy: 'reset_password_email_code',
    next: '/sign-in/reset',
    title: 'Forgot password?',
    intro: 'Enter your account’s email address and we will send you a code to reset your password.',
  },
  {
    path: '/sign-in/email-code',
    strategy: 'email_code',
    next: '/sign-in/code',
    title: 'Sign in with an email code',
    intro: 'Enter your account’s email address and we will send you a code to sign in with.',
  },
] as const

const Identifier = z.string().trim().max(320)

/**
 * "Forgot password?" and "Email me a sign-in code" without JavaScript: a page asking for the
 * address starts a sign-in with the strategy prepared (Clerk's `POST /v1/client/sign_ins` with
 * `identifier` and `strategy`), then the code step (code-steps.routes.ts) and, for a reset, the
 * new password. An unknown address is refused with Clerk's `form_identifier_not_found`, as the
 * Frontend API and the sign-in form already answer (docs/SECURITY.md, "Hosted verification").
 */
export function forgotPasswordRoutes(app: FastifyInstance, d: FormDeps): void {
  const limit: { rateLimit?: typeof CREATE_LIMIT } = d.config.rateLimit
    ? { rateLimit: CREATE_LIMIT }
    : {}
  for (const start of STARTS) {
    const render = async (
      req: Parameters<typeof clientIdOf>[1],
      reply: Parameters<typeof html>[0],
      input: Record<string, unknown>,
      failed?: { status: number; message: string },
    ) => {
      const redirectUrl = await safeRedirect(d.services, d.config, input.redirect_url)
      const view = emailPage({
        title: start.title,
        heading: start.title,
        intro: start.intro,
        action: start.path,
        token: d.forms.token(req, reply, start.path),
        redirectUrl,
        identifier: str(input.identifier)?.slice(0, 320),
        error: failed?.message,
        back: { url: pathWith('/sign-in', { redirect_url: redirectUrl }), text: 'Back to sign in' },
      })
      return html(reply, failed?.status ?? 200, view)
    }
    app.get(start.path, (req, reply) => render(req, reply, req.query as Record<string, unknown>))
    app.post(
      start.path,
      {
        config: limit,
        errorHandler: (error, req, reply) =>
          render(
            req,
            reply,
            (req.body ?? {}) as Record<string, unknown>,
            formError(error, req, reply),
          ),
      },
      async (req, reply) => {
        assertFormPost(d.forms, req, start.path)
        const body = (req.body ?? {}) as Record<string, unknown>
        const identifier = Identifier.safeParse(str(body.identifier) ?? '')
        if (!identifier.success || !identifier.data)
          throw ApiError.of('form_param_missing', { longMessage: 'Enter your email address.' })
        const input = { identifier: identifier.data, strategy: start.strategy }
        const r = await d.services.signIns.create(input, await clientIdOf(d, req), deviceOf(req))
        const redirectUrl = await safeRedirect(d.services, d.config, body.redirect_url)
        const location = pathWith(start.next, {
          sign_in_id: r.signIn.id,
          redirect_url: redirectUrl,
        })
        const outcome = { kind: 'next' as const, location, newClientToken: r.newClientToken }
        return respondOutcome(d, req, reply, outcome, 'after_sign_in_url')
      },
    )
  }
  newPasswordRoutes(app, d)
}

/** The last step of a reset: a sign-in of this browser whose reset code was proved. */
function newPasswordRoutes(app: FastifyInstance, d: FormDeps): void {
  const path = '/sign-in/new-password'
  flowStepRoutes(app, d, {
    path,
    idField: 'sign_in_id',
    fallback: 'after_sign_in_url',
    restart: (redirectUrl) => ({
      url: pathWith('/sign-in/forgot-password', { redirect_url: redirectUrl }),
      text: 'Reset your password again',
    }),
    load: async (id, clientId) => {
      const signIn = await d.services.signIns.get(id, clientId)
      if (signIn.status !== 'needs_new_password') throw ApiError.of('sign_in_not_ready')
      return signIn
    },
    render: ({ fields, input, error }) =>
      newPasswordPage({
        action: path,
        fields,
        error,
        // Checked at first (Clerk's UI too); a refused form keeps what the person chose.
        signOutOthers: error === undefined || input.sign_out_of_other_sessions === 'true',
      }),
    posts: {
      [path]: async (p) => {
        const password = (str(p.body.password) ?? '').slice(0, 1024)
        if (!password)
          throw ApiError.of('form_param_missing', { longMessage: 'Enter a new password.' })
        if (password !== str(p.body.confirm_password))
          throw ApiError.of('form_param_value_invalid', {
            longMessage: 'The passwords do not match.',
            meta: { param_name: 'confirm_password' },
          })
        const input = {
          password,
          signOutOfOtherSessions: p.body.sign_out_of_other_sessions === 'true',
        }
        const r = await d.services.signIns.resetPassword(p.id, p.clientId, input, p.device)
        const userId = completedUserId(r.signIn)
        return { kind: 'done', userId, newClientToken: r.newClientToken, redirect: p.redirectUrl }
      },
    },
  })
}
