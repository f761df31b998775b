import { FlowError } from '../errors.js'
import type { SignUpProps } from '../latchkey.js'
import type { SignUpResource } from '../sign-up-resource.js'
import { field, formController, h, uid } from './dom.js'
import { type EmailStrategy, proveEmail } from './email-proof.js'
import type { Host, Rendered } from './host.js'
import { linkLandingCard } from './link-landing.js'
import { startSessionTask } from './session-tasks.js'
import { finish } from './sign-in.js'
import { isSsoReturn, socialButtons, ssoReturnCard } from './social.js'
import { linkLanding, linkReturnUrl, loadedClient } from './verify.js'

export function renderSignUp(host: Host, props: SignUpProps): Rendered {
  const { lk } = host
  if (isSsoReturn()) return ssoReturnCard(host, props)
  const titleId = uid('title')
  const min = lk.environment?.user_settings.password_settings.min_length ?? 8
  const first = field({ name: 'first_name', label: 'First name', autocomplete: 'given-name' })
  const last = field({ name: 'last_name', label: 'Last name', autocomplete: 'family-name' })
  const email = field({
    name: 'email_address',
    label: 'Email address',
    type: 'email',
    autocomplete: 'email',
    required: true,
  })
  const password = field({
    name: 'password',
    label: 'Password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    hint: `At least ${min} characters. Avoid common or reused passwords.`,
  })
  const form = h('form', { novalidate: true, 'aria-labelledby': titleId })
  const ctl = formController(form, { submitLabel: 'Create account' })
  form.append(
    h('div', { class: 'lk-row' }, first.wrap, last.wrap),
    email.wrap,
    password.wrap,
    ctl.error,
    ctl.button,
  )

  const signInUrl =
    props.signInUrl ??
    lk.buildSignInUrl(props.redirectUrl ? { redirectUrl: props.redirectUrl } : {})
  const el = h(
    'div',
    { class: 'lk-card', 'data-latchkey': 'sign-up' },
    h('h1', { id: titleId, class: 'lk-title' }, 'Create your account'),
    h(
      'p',
      { class: 'lk-subtitle' },
      `to continue to ${lk.environment?.display_config.application_name ?? 'the app'}`,
    ),
    socialButtons(host, 'sign-up', (m) => ctl.show(m)) ?? '',
    form,
    h(
      'p',
      { class: 'lk-footer' },
      'Already have an account? ',
      host.inModal
        ? h(
            'button',
            { type: 'button', class: 'lk-link', onclick: () => host.switchTo('sign-in') },
            'Sign in',
          )
        : h('a', { class: 'lk-link', href: signInUrl }, 'Sign in'),
    ),
  )

  ctl.onSubmit(async (v) => {
    if ((v.password ?? '').length < min) {
      ctl.show(`Your password must be at least ${min} characters long.`, 'password')
      return
    }
    const attempt = await loadedClient(lk).signUp.create({
      emailAddress: v.email_address ?? '',
      password: v.password ?? '',
      ...(v.first_name ? { firstName: v.first_name } : {}),
      ...(v.last_name ? { lastName: v.last_name } : {}),
    })
    if (attempt.status === 'complete') return complete(attempt)
    await verify(attempt)
  })

  let proof: ReturnType<typeof proveEmail> | undefined
  const complete = async (signUp: SignUpResource) => {
    if (signUp.status !== 'complete' || !signUp.createdSessionId)
      throw new FlowError('This sign-up needs a step the form does not offer. Please start again.')
    proof?.destroy()
    if (await startSessionTask(host, el, signUp.createdSessionId, () => finish(host, props))) return
    await lk.setActive({ session: signUp.createdSessionId })
    finish(host, props)
  }

  /** `missing_requirements`: the address is proved with a code or a link, then it completes. */
  const verify = async (signUp: SignUpResource) => {
    if (!signUp.unverifiedFields.includes('email_address') || signUp.missingFields.length)
      return complete(signUp)
    const strategies = verificationStrategies(lk, signUp)
    const start = strategies.includes('email_code') ? 'email_code' : 'email_link'
    if (start === 'email_code') await signUp.prepareEmailAddressVerification({ strategy: start })
    proof = proveEmail(
      el,
      {
        email: signUp.emailAddress ?? '',
        strategies,
        sendCode: async () => {
          await signUp.prepareEmailAddressVerification({ strategy: 'email_code' })
        },
        attemptCode: async (code) =>
          complete(await signUp.attemptEmailAddressVerification({ code })),
        startLink: () => {
          const flow = signUp.createEmailLinkFlow()
          const done = flow
            .startEmailLinkFlow({ redirectUrl: linkReturnUrl() })
            .then((s) => (s.status === 'complete' ? complete(s) : linkFailed()))
          return { done, cancel: () => flow.cancelEmailLinkFlow() }
        },
        back: { label: 'Use another email address', run: () => host.switchTo('sign-up') },
      },
      start,
    )
  }

  const landing = linkLanding()
  if (landing) return linkLandingCard(host, props, landing, 'sign-up')
  return {
    el,
    focus: () => first.input.focus(),
    destroy: () => proof?.destroy(),
  }
}

/** The ways to prove the address: the sign-up's own list, else the environment's. */
function verificationStrategies(lk: Host['lk'], signUp: SignUpResource): EmailStrategy[] {
  const offered = signUp.verifications.emailAddress.supportedStrategies
  const fromEnv = lk.environment?.user_settings.attributes?.email_address?.verifications
  const list = offered.length ? offered : (fromEnv ?? ['email_code'])
  const known = list.filter((s): s is EmailStrategy => s === 'email_code' || s === 'email_link')
  return known.length ? known : ['email_code']
}

/** A link that came back expired or failed: say so; "Resend link" is right there. */
export function linkFailed(): never {
  throw new FlowError('This link has expired or was already used. Ask for a new one.')
}
