import type { SignUpProps } from '../latchkey.js'
import { field, formController, h, uid } from './dom.js'
import type { Host, Rendered } from './host.js'
import { finish } from './sign-in.js'

export function renderSignUp(host: Host, props: SignUpProps): Rendered {
  const { lk } = host
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
    const attempt = await lk.client!.signUp.create({
      emailAddress: v.email_address ?? '',
      password: v.password ?? '',
      ...(v.first_name ? { firstName: v.first_name } : {}),
      ...(v.last_name ? { lastName: v.last_name } : {}),
    })
    if (attempt.status !== 'complete' || !attempt.createdSessionId) {
      throw new Error('This sign-up needs another step, which is not supported yet.')
    }
    await lk.setActive({ session: attempt.createdSessionId })
    finish(host, props)
  })

  return { el, focus: () => first.input.focus() }
}
