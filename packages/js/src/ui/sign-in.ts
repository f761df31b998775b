import type { SignInProps } from '../latchkey.js'
import { field, formController, h, navigate, uid } from './dom.js'
import type { Host, Rendered } from './host.js'

/** After a sign-in or sign-up: go where asked, else close the modal, else stay. */
export function finish(host: Host, props: { redirectUrl?: string; forceRedirectUrl?: string }) {
  const to = props.forceRedirectUrl ?? props.redirectUrl
  if (to) navigate(to)
  else if (host.inModal) host.close()
}

export function renderSignIn(host: Host, props: SignInProps): Rendered {
  const { lk } = host
  const titleId = uid('title')
  const identifier = field({
    name: 'identifier',
    label: 'Email address',
    type: 'text',
    inputmode: 'email',
    autocomplete: 'username',
    required: true,
    value: props.initialValues?.emailAddress ?? '',
  })
  const password = field({
    name: 'password',
    label: 'Password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  })
  const form = h('form', { novalidate: true, 'aria-labelledby': titleId })
  const ctl = formController(form, { submitLabel: 'Continue' })
  form.append(identifier.wrap, password.wrap, ctl.error, ctl.button)

  const signUpUrl =
    props.signUpUrl ??
    lk.buildSignUpUrl(props.redirectUrl ? { redirectUrl: props.redirectUrl } : {})
  const footer = h(
    'p',
    { class: 'lk-footer' },
    'Don’t have an account? ',
    host.inModal
      ? h(
          'button',
          { type: 'button', class: 'lk-link', onclick: () => host.switchTo('sign-up') },
          'Sign up',
        )
      : h('a', { class: 'lk-link', href: signUpUrl }, 'Sign up'),
  )
  const appName = lk.environment?.display_config.application_name ?? 'the app'
  const el = h(
    'div',
    { class: 'lk-card', 'data-latchkey': 'sign-in' },
    h('h1', { id: titleId, class: 'lk-title' }, 'Sign in'),
    h('p', { class: 'lk-subtitle' }, `to continue to ${appName}`),
    form,
    footer,
  )

  ctl.onSubmit(async (v) => {
    const attempt = await lk.client!.signIn.create({
      identifier: v.identifier ?? '',
      password: v.password ?? '',
      strategy: 'password',
    })
    if (attempt.status !== 'complete' || !attempt.createdSessionId) {
      throw new Error('This account needs another sign-in step, which is not supported yet.')
    }
    await lk.setActive({ session: attempt.createdSessionId })
    finish(host, props)
  })

  return { el, focus: () => (identifier.input.value ? password.input : identifier.input).focus() }
}
