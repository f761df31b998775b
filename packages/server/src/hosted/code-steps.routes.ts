import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance } from 'fastify'
import type { Device } from '../sessions/sessions.service.js'
import type { SignUpResult } from '../sign-ups/sign-ups.service.js'
import { safeIdentifier } from '../verification/factors.js'
import { type FlowStep, flowStepRoutes, type StepPost } from './flow-step.js'
import { completedUserId, type FormDeps, type FormOutcome, pathWith, str } from './form-flow.js'
import { safeRedirect } from './respond.js'
import { codePage } from './verify-pages.js'

/** The code a form sent, or Clerk's 422 asking for it. */
function codeOf(body: Record<string, unknown>): string {
  const code = (str(body.code) ?? '').replace(/\s+/g, '').slice(0, 32)
  if (!code)
    throw ApiError.of('form_param_missing', {
      longMessage: 'Enter the code from the email.',
      meta: { param_name: 'code' },
    })
  return code
}

type CodeState = { sentTo: string }

/** What a "Check your email" step differs in: its texts, its flow, and what a code proves. */
type CodeStepSpec = Pick<FlowStep<CodeState>, 'path' | 'idField' | 'fallback' | 'load'> & {
  title: string
  heading: string
  back: { path: string; text: string }
  attempt(p: StepPost<CodeState>, code: string): Promise<FormOutcome>
  resend(p: StepPost<CodeState>): Promise<void>
}

/** A code step: the code form posts to `path`, "Send a new code" to `path/resend`. */
function codeStep(spec: CodeStepSpec): FlowStep<CodeState> {
  const resendPath = `${spec.path}/resend`
  const back = (redirectUrl: string | undefined) => ({
    url: pathWith(spec.back.path, { redirect_url: redirectUrl }),
    text: spec.back.text,
  })
  return {
    ...spec,
    restart: back,
    render: ({ state, fields, tokenFor, input, error }) =>
      codePage({
        title: spec.title,
        heading: spec.heading,
        sentTo: state.sentTo,
        action: spec.path,
        resendAction: resendPath,
        fields,
        resendToken: tokenFor(resendPath),
        error:
          error ??
          (input.unsent === '1'
            ? 'The code could not be sent yet. Wait a moment, then ask for a new code.'
            : undefined),
        notice: input.resent === '1' && !error ? 'A new code is on its way.' : undefined,
        back: back(fields.redirectUrl),
      }),
    posts: {
      [spec.path]: (p) => spec.attempt(p, codeOf(p.body)),
      [resendPath]: async (p) => {
        await spec.resend(p)
        const query = { [spec.idField]: p.id, redirect_url: p.redirectUrl, resent: '1' }
        return { kind: 'next', location: pathWith(spec.path, query) }
      },
    },
  }
}

/**
 * The hosted sign-up after its form, when the address must be proved first: a code is sent at
 * once and the browser goes to "Check your email". A send refused (the per-address or per-IP
 * limit) still leads there, saying so: the sign-up is this browser's and can ask again.
 */
export async function verifySignUp(
  d: FormDeps,
  result: SignUpResult,
  redirect: unknown,
  device: Device,
): Promise<FormOutcome> {
  let unsent: string | undefined
  try {
    const input = { strategy: 'email_code' }
    await d.services.signUps.prepareVerification(result.signUp.id, result.clientId, input, device)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    unsent = '1'
  }
  const query = {
    sign_up_id: result.signUp.id,
    redirect_url: await safeRedirect(d.services, d.config, redirect),
    unsent,
  }
  return {
    kind: 'next',
    location: pathWith('/sign-up/verify', query),
    newClientToken: result.newClientToken,
  }
}

/** "Check your email" for the sign-up, the email-code sign-in and the password reset. */
export function codeStepRoutes(app: FastifyInstance, d: FormDeps): void {
  const { signIns, signUps, verifications } = d.services
  flowStepRoutes(
    app,
    d,
    codeStep({
      path: '/sign-up/verify',
      idField: 'sign_up_id',
      fallback: 'after_sign_up_url',
      title: 'Verify your email',
      heading: 'Check your email',
      back: { path: '/sign-up', text: 'Use another email address' },
      load: async (id, clientId) => {
        const signUp = await signUps.get(id, clientId)
        if (signUp.status !== 'missing_requirements' || !signUp.email_address)
          throw ApiError.of('sign_up_not_ready')
        return { sentTo: signUp.email_address }
      },
      attempt: async (p, code) => {
        const input = { strategy: 'email_code', code }
        const done = await signUps.attemptVerification(p.id, p.clientId, input, p.device)
        return {
          kind: 'done',
          userId: done.signUp.created_user_id as string,
          newClientToken: done.newClientToken,
          redirect: p.redirectUrl,
        }
      },
      resend: async (p) => {
        await signUps.prepareVerification(p.id, p.clientId, { strategy: 'email_code' }, p.device)
      },
    }),
  )

  /** A sign-in of this browser waiting for the code of `strategy`, and where it went. */
  const signInLoad = (strategy: string) => async (id: string, clientId: string | undefined) => {
    const signIn = await signIns.get(id, clientId)
    if (signIn.status !== 'needs_first_factor') throw ApiError.of('sign_in_not_ready')
    const proof = await verifications.find(signIn.id, 'first_factor')
    if (!proof?.email_address || proof.strategy !== strategy)
      throw ApiError.of('verification_missing')
    const typed = signIn.identifier?.toLowerCase() === proof.email_address
    return { sentTo: safeIdentifier(proof.email_address, typed) }
  }
  const signInStep = (o: { path: string; strategy: string; title: string; heading: string }) =>
    codeStep({
      ...o,
      idField: 'sign_in_id',
      fallback: 'after_sign_in_url',
      back: { path: '/sign-in', text: 'Back to sign in' },
      load: signInLoad(o.strategy),
      attempt: async (p, code) => {
        const input = { strategy: o.strategy, code }
        const r = await signIns.attemptFirstFactor(p.id, p.clientId, input, p.device)
        if (r.signIn.status === 'needs_new_password') {
          const query = { sign_in_id: p.id, redirect_url: p.redirectUrl }
          return { kind: 'next', location: pathWith('/sign-in/new-password', query) }
        }
        const userId = completedUserId(r.signIn)
        return { kind: 'done', userId, newClientToken: r.newClientToken, redirect: p.redirectUrl }
      },
      resend: async (p) => {
        await signIns.prepareFirstFactor(p.id, p.clientId, { strategy: o.strategy }, p.device)
      },
    })
  flowStepRoutes(
    app,
    d,
    signInStep({
      path: '/sign-in/code',
      strategy: 'email_code',
      title: 'Sign in with a code',
      heading: 'Check your email',
    }),
  )
  flowStepRoutes(
    app,
    d,
    signInStep({
      path: '/sign-in/reset',
      strategy: 'reset_password_email_code',
      title: 'Reset your password',
      heading: 'Check your email',
    }),
  )
}
