import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { deviceOf } from '../http/define-route.js'
import type { Device } from '../sessions/sessions.service.js'
import {
  assertFormPost,
  clientIdOf,
  type FormDeps,
  type FormOutcome,
  formError,
  respondOutcome,
  STEP_LIMIT,
  str,
} from './form-flow.js'
import { html, safeRedirect } from './respond.js'
import { type StepFields, stepGonePage } from './verify-pages.js'

/** What a step's post is handed: the flow's id (unchecked), the browser and the form. */
export type StepPost<S> = {
  id: string
  state: S
  clientId: string | undefined
  device: Device
  body: Record<string, unknown>
  redirectUrl: string | undefined
}

/**
 * One step of a hosted flow after its first form: a page at `path` showing this browser's
 * sign-in or sign-up (named by `idField` in the query or the form), and the posts its forms
 * make. A post refused (wrong code, cooldown, expired form) shows the page again with the error;
 * an id that is not this browser's, or a flow past this step, shows "Start again".
 */
export type FlowStep<S> = {
  path: string
  idField: StepFields['idField']
  fallback: 'after_sign_in_url' | 'after_sign_up_url'
  restart(redirectUrl: string | undefined): { url: string; text: string }
  /** This browser's flow, waiting for this step; throws (Clerk's codes) otherwise. */
  load(id: string, clientId: string | undefined): Promise<S>
  render(o: {
    state: S
    fields: StepFields
    /** A CSRF token for a form of this page posting to `action`. */
    tokenFor(action: string): string
    /** The query (a page shown by GET) or the refused form. */
    input: Record<string, unknown>
    error?: string | undefined
  }): string
  /** The page's posts, by action. */
  posts: Record<string, (p: StepPost<S>) => Promise<FormOutcome>>
}

const MAX_ID = 64

export function flowStepRoutes<S>(app: FastifyInstance, d: FormDeps, step: FlowStep<S>): void {
  const show = async (
    req: FastifyRequest,
    reply: FastifyReply,
    input: Record<string, unknown>,
    failed?: { status: number; message: string },
  ) => {
    const id = (str(input[step.idField]) ?? '').slice(0, MAX_ID)
    const redirectUrl = await safeRedirect(d.services, d.config, input.redirect_url)
    let state: S
    try {
      state = await step.load(id, await clientIdOf(d, req))
    } catch (error) {
      const { status, message } = formError(error, req, reply)
      return html(reply, status, stepGonePage({ message, restart: step.restart(redirectUrl) }))
    }
    const token = (action: string) => d.forms.token(req, reply, action)
    const fields = { token: token(step.path), idField: step.idField, id, redirectUrl }
    const view = step.render({ state, fields, tokenFor: token, input, error: failed?.message })
    return html(reply, failed?.status ?? 200, view)
  }

  app.get(step.path, (req, reply) => show(req, reply, req.query as Record<string, unknown>))

  const limit: { rateLimit?: typeof STEP_LIMIT } = d.config.rateLimit
    ? { rateLimit: STEP_LIMIT }
    : {}
  for (const [action, handle] of Object.entries(step.posts)) {
    app.post(
      action,
      {
        config: limit,
        errorHandler: async (error, req, reply) => {
          const body = (req.body ?? {}) as Record<string, unknown>
          return show(req, reply, body, formError(error, req, reply))
        },
      },
      async (req, reply) => {
        assertFormPost(d.forms, req, action)
        const body = (req.body ?? {}) as Record<string, unknown>
        const id = (str(body[step.idField]) ?? '').slice(0, MAX_ID)
        const clientId = await clientIdOf(d, req)
        const state = await step.load(id, clientId)
        const redirectUrl = await safeRedirect(d.services, d.config, body.redirect_url)
        const device = deviceOf(req)
        const outcome = await handle({ id, state, clientId, device, body, redirectUrl })
        return respondOutcome(d, req, reply, outcome, step.fallback)
      },
    )
  }
}
