import { FlowError } from '../errors.js'
import type { SignInProps } from '../latchkey.js'
import type { SignInFactor, SignInResource } from '../sign-in-resource.js'
import { field, formController, h, uid } from './dom.js'
import { proveEmail } from './email-proof.js'
import type { Host } from './host.js'
import { completeSignIn } from './sign-in.js'
import { showStep } from './verify.js'

/**
 * "Forgot password?": a code to the address (`reset_password_email_code`), then a new password
 * with "Sign out of all other devices", then signed in.
 */
export async function resetPasswordSteps(
  host: Host,
  props: SignInProps,
  card: HTMLElement,
  signIn: SignInResource,
  factor: SignInFactor,
  back: { label: string; run(): void },
): Promise<{ destroy(): void }> {
  const id = factor.emailAddressId ? { emailAddressId: factor.emailAddressId } : {}
  const send = () => signIn.prepareFirstFactor({ strategy: 'reset_password_email_code', ...id })
  await send()
  const proof = proveEmail(
    card,
    {
      email: factor.safeIdentifier ?? signIn.identifier ?? '',
      strategies: ['email_code'],
      title: 'Reset your password',
      submitLabel: 'Continue',
      sendCode: async () => {
        await send()
      },
      attemptCode: async (code) => {
        const next = await signIn.attemptFirstFactor({
          strategy: 'reset_password_email_code',
          code,
        })
        if (next.status !== 'needs_new_password') return completeSignIn(host, props, next, card)
        proof.destroy()
        newPasswordStep(host, props, card, next)
      },
      startLink: () => {
        throw new FlowError('A password reset needs the code from the email.')
      },
      back,
    },
    'email_code',
  )
  return proof
}

function newPasswordStep(
  host: Host,
  props: SignInProps,
  card: HTMLElement,
  signIn: SignInResource,
) {
  const min = host.lk.environment?.user_settings.password_settings.min_length ?? 8
  const password = field({
    name: 'password',
    label: 'New password',
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    hint: `At least ${min} characters. Avoid common or reused passwords.`,
  })
  const others = h('input', {
    type: 'checkbox',
    id: uid('others'),
    name: 'sign_out_of_other_sessions',
    checked: true,
  })
  const form = h('form', { novalidate: true })
  const ctl = formController(form, { submitLabel: 'Reset password' })
  form.append(
    password.wrap,
    h(
      'div',
      { class: 'lk-check' },
      others,
      h('label', { for: others.id }, 'Sign out of all other devices'),
    ),
    ctl.error,
    ctl.button,
  )
  ctl.onSubmit(async (v) => {
    if ((v.password ?? '').length < min)
      throw new FlowError(`Your password must be at least ${min} characters long.`, 'password')
    const done = await signIn.resetPassword({
      password: v.password ?? '',
      signOutOfOtherSessions: v.sign_out_of_other_sessions === 'true',
    })
    await completeSignIn(host, props, done, card)
  })
  const titleId = showStep(card, {
    title: 'Set a new password',
    subtitle: `Choose a new password for ${signIn.identifier ?? 'your account'}.`,
    body: [form],
  })
  form.setAttribute('aria-labelledby', titleId)
  password.input.focus()
}
