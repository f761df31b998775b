import { ApiError } from '@latchkey/contracts'
import type { FastifyInstance } from 'fastify'
import * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { clientCookieName } from '../http/client-token.js'
import { deviceOf } from '../http/define-route.js'
import type { FirstFactorSettings as FirstFactors } from '../instance/sign-up-settings.js'
import { signedInUserId } from '../oauth/provider.js'
import type { Services } from '../services.js'
import { BROWSER_BUNDLE_PATH, browserBundle } from './browser-bundle.js'
import { codeStepRoutes, verifySignUp } from './code-steps.routes.js'
import { forgotPasswordRoutes } from './forgot-password.routes.js'
import {
  assertFormPost,
  CREATE_LIMIT,
  clientIdOf,
  completedUserId,
  type FormOutcome,
  formError,
  pathWith,
  respondOutcome,
  str,
} from './form-flow.js'
import type { FormGuard } from './form-guard.js'
import { type Hosted, signedInPage, signInPage, signUpPage, userProfilePage } from './pages.js'
import { html, safeRedirect, userLabel } from './respond.js'
import {
  enterpriseSignInOutcome,
  enterpriseSsoRoutes,
  hostedProviders,
  providerSignInOutcome,
} from './sso-sign-in.routes.js'

const SignInForm = z.object({
  /** A provider button's value (`oauth_google`): that sign-in instead of the fields. */
  strategy: z.string().max(64).optional(),
  identifier: z.string().trim().max(320).default(''),
  password: z.string().max(1024).default(''),
  redirect_url: z.string().max(2048).optional(),
})
const SignUpForm = z.object({
  /** A provider button's value: a redirect sign-in, which becomes a sign-up for a new account. */
  strategy: z.string().max(64).optional(),
  email_address: z.string().trim().max(320).default(''),
  password: z.string().max(1024).default(''),
  first_name: z.string().trim().max(256).optional(),
  last_name: z.string().trim().max(256).optional(),
  redirect_url: z.string().max(2048).optional(),
})

/**
 * Clerk's account portal on the Frontend API host: `/sign-in`, `/sign-up` and `/user`, and the
 * browser build of `@latchkey/js` they (and any plain HTML page) load. The forms work without
 * JavaScript; with it, the bundle mounts the same components apps embed. `redirect_url` is
 * honoured only for this server's origin and allowed origins. A form post is accepted only from
 * a page this server rendered for this browser (`forms`). The steps after the first form
 * (verifying a sign-up's address, forgot password, an email sign-in code) are their own pages:
 * code-steps.routes.ts and forgot-password.routes.ts.
 */
export async function hostedRoutes(
  app: FastifyInstance,
  services: Services,
  config: Config,
  forms: FormGuard,
): Promise<void> {
  const limit: { rateLimit?: typeof CREATE_LIMIT } = config.rateLimit
    ? { rateLimit: CREATE_LIMIT }
    : {}
  const deps = { services, config, forms }
  const firstFactors = async () => (await services.instance.settings()).first_factors

  app.get(BROWSER_BUNDLE_PATH, async (req, reply) => {
    const { code, etag } = await browserBundle()
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
    if (req.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.send(code)
  })

  /** Props for a hosted component: where it goes next and where its sibling pages are. */
  const hosted = async (
    view: Hosted['view'],
    redirectUrl: string | undefined,
    fallback: 'after_sign_in_url' | 'after_sign_up_url' | 'after_sign_out_url',
  ): Promise<Hosted> => {
    const paths = await services.instance.paths()
    const configured = (await services.instance.settings()).paths[fallback]
    return {
      view,
      publishableKey: services.instance.publishableKey(),
      props: {
        // With nowhere configured, a hosted sign-in lands on the hosted account page.
        'redirect-url': redirectUrl ?? configured ?? `${config.url}/user`,
        'sign-in-url': withRedirect(paths.sign_in_url, redirectUrl),
        'sign-up-url': withRedirect(paths.sign_up_url, redirectUrl),
        'after-sign-out-url': paths.after_sign_out_url,
      },
    }
  }

  /**
   * A hosted form page: GET renders it (or sends a signed-in browser on), POST submits it and
   * redirects, and a refused POST renders the form again with the error and what was typed.
   */
  const formPage = (spec: {
    view: 'sign-in' | 'sign-up'
    fallback: 'after_sign_in_url' | 'after_sign_up_url'
    render(o: {
      redirectUrl: string | undefined
      page: Hosted
      /** The form's CSRF token (form-guard.ts). */
      token: string
      body?: Record<string, unknown>
      error?: string
      /** Which first factors the instance enables: the sign-in links only to those. */
      factors: FirstFactors
      /** The enabled social connections (the sign-in's buttons). */
      providers: { strategy: string; name: string }[]
    }): string
    /** Validates the form and signs in or up; answers who is now signed in. */
    submit(
      body: unknown,
      clientId: string | undefined,
      device: ReturnType<typeof deviceOf>,
    ): Promise<FormOutcome>
  }) => {
    const path = `/${spec.view}`
    app.get(path, async (req, reply) => {
      const q = req.query as Record<string, unknown>
      const redirectUrl = await safeRedirect(services, config, q.redirect_url)
      const userId = await signedInUserId(services, req.cookies[clientCookieName(config.url)])
      if (userId && redirectUrl) return reply.redirect(redirectUrl, 303)
      if (userId) return html(reply, 200, signedInPage(await userLabel(services, userId)))
      const page = await hosted(spec.view, redirectUrl, spec.fallback)
      const token = forms.token(req, reply, path)
      const factors = await firstFactors()
      const providers = await hostedProviders(deps)
      return html(reply, 200, spec.render({ redirectUrl, page, token, factors, providers }), true)
    })
    app.post(
      path,
      {
        config: limit,
        errorHandler: async (error, req, reply) => {
          const body = (req.body ?? {}) as Record<string, unknown>
          const { status, message } = formError(error, req, reply)
          const redirectUrl = await safeRedirect(services, config, body.redirect_url)
          const page = await hosted(spec.view, redirectUrl, spec.fallback)
          const token = forms.token(req, reply, path)
          const factors = await firstFactors()
          const providers = await hostedProviders(deps)
          const view = spec.render({
            redirectUrl,
            page,
            token,
            body,
            error: message,
            factors,
            providers,
          })
          return html(reply, status, view, true)
        },
      },
      async (req, reply) => {
        assertFormPost(forms, req, path)
        const clientId = await clientIdOf(deps, req)
        const outcome = await spec.submit(req.body ?? {}, clientId, deviceOf(req))
        return respondOutcome(deps, req, reply, outcome, spec.fallback)
      },
    )
  }

  formPage({
    view: 'sign-in',
    fallback: 'after_sign_in_url',
    render: ({ redirectUrl, page, token, body, error, factors, providers }) => {
      const identifier = str(body?.identifier)
      const link = (path: string) => pathWith(path, { identifier, redirect_url: redirectUrl })
      return signInPage({
        action: '/sign-in',
        token,
        redirectUrl,
        identifier,
        error,
        signUpUrl: page.props['sign-up-url'],
        forgotPasswordUrl: factors.reset_password_email_code
          ? link('/sign-in/forgot-password')
          : undefined,
        emailCodeUrl: factors.email_code ? link('/sign-in/email-code') : undefined,
        providers,
        hosted: page,
      })
    },
    submit: async (body, clientId, device) => {
      const parsed = SignInForm.safeParse(body)
      if (!parsed.success)
        throw ApiError.of('form_param_format_invalid', {
          longMessage: 'Enter a valid email address and password.',
        })
      const form = parsed.data
      if (form.strategy !== undefined)
        return providerSignInOutcome(deps, { ...form, strategy: form.strategy }, clientId, device)
      if (!form.identifier)
        throw ApiError.of('form_param_missing', { longMessage: 'Enter your email address.' })
      // An address of an enterprise connection's domain signs in at its IdP, not by password.
      const enterprise = await enterpriseSignInOutcome(deps, form, clientId, device)
      if (enterprise) return enterprise
      if (!form.password)
        throw ApiError.of('form_param_missing', { longMessage: 'Enter your password.' })
      const result = await services.signIns.create(
        { identifier: form.identifier, password: form.password, strategy: 'password' },
        clientId,
        device,
      )
      return {
        kind: 'done',
        userId: completedUserId(result.signIn),
        newClientToken: result.newClientToken,
        redirect: form.redirect_url,
      }
    },
  })

  formPage({
    view: 'sign-up',
    fallback: 'after_sign_up_url',
    render: ({ redirectUrl, page, token, body, error, providers }) =>
      signUpPage({
        token,
        redirectUrl,
        signInUrl: page.props['sign-in-url'] ?? '/sign-in',
        providers,
        ...(body
          ? {
              values: {
                email_address: str(body.email_address) ?? '',
                first_name: str(body.first_name) ?? '',
                last_name: str(body.last_name) ?? '',
              },
            }
          : {}),
        error,
        hosted: page,
      }),
    submit: async (body, clientId, device) => {
      const parsed = SignUpForm.safeParse(body)
      if (!parsed.success)
        throw ApiError.of('form_param_format_invalid', {
          longMessage: 'Enter a valid email address and password.',
        })
      const form = parsed.data
      // As Clerk's redirect flow does: the provider's account signs in its user, or (new to this
      // instance) becomes one at the callback, through the sign-up policy (sign-up with
      // `transfer: true`, sso-sign-in.routes.ts).
      if (form.strategy !== undefined)
        return providerSignInOutcome(deps, { ...form, strategy: form.strategy }, clientId, device)
      if (!form.email_address)
        throw ApiError.of('form_param_missing', { longMessage: 'Enter your email address.' })
      if (!form.password)
        throw ApiError.of('form_param_missing', { longMessage: 'Enter a password.' })
      if (!z.email().safeParse(form.email_address).success)
        throw ApiError.of('form_param_format_invalid', {
          longMessage: 'Enter a valid email address.',
        })
      const result = await services.signUps.create(
        {
          emailAddress: form.email_address,
          password: form.password,
          firstName: form.first_name || undefined,
          lastName: form.last_name || undefined,
          username: undefined,
          unsafeMetadata: undefined,
        },
        clientId,
        device,
      )
      if (result.signUp.status === 'missing_requirements')
        return verifySignUp(deps, result, form.redirect_url, device)
      return {
        kind: 'done',
        userId: result.signUp.created_user_id as string,
        newClientToken: result.newClientToken,
        redirect: form.redirect_url,
      }
    },
  })

  codeStepRoutes(app, deps)
  forgotPasswordRoutes(app, deps)
  enterpriseSsoRoutes(app, deps)

  // The root: the operator's home page when one is set (PATCH /v1/instance/paths home_url),
  // else the operator dashboard (whoever opens the URL `npm start` printed is its operator).
  app.get('/', async (_req, reply) => {
    const home = (await services.instance.settings()).paths.home_url
    if (home && new URL(home).href !== new URL('/', config.url).href)
      return reply.redirect(home, 303)
    return reply.redirect('/dashboard/', 302)
  })

  app.get('/user', async (_req, reply) => {
    const page = await hosted('user-profile', undefined, 'after_sign_out_url')
    return html(
      reply,
      200,
      userProfilePage({ signInUrl: page.props['sign-in-url'] ?? '/sign-in', hosted: page }),
      true,
    )
  })
}

function withRedirect(base: string, redirectUrl: string | undefined): string {
  if (!redirectUrl) return base
  const url = new URL(base)
  url.searchParams.set('redirect_url', redirectUrl)
  return url.href
}
