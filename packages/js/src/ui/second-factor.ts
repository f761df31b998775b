import { FlowError } from '../errors.js'
import { LatchkeyAPIResponseError } from '../fapi.js'
import type { SignInProps } from '../latchkey.js'
import type { SignInResource, SignInSecondFactorStrategy } from '../sign-in-resource.js'
import { field, formController, h } from './dom.js'
import type { Host } from './host.js'
import { completeSignIn } from './sign-in.js'
import { showStep } from './verify.js'

type Step = {
  label: string
  subtitle: string
  hint: string
  switchLabel: string
  incorrect: string
}

const STEPS: Record<SignInSecondFactorStrategy, Step> = {
  totp: {
    label: 'Authenticator code',
    subtitle: 'Enter the 6-digit code from your authenticator app.',
    hint: 'The app shows a new code every 30 seconds.',
    switchLabel: 'Use your authenticator app',
    incorrect: 'That code is incorrect. Check your authenticator app and try again.',
  },
  backup_code: {
    label: 'Backup code',
    subtitle: 'Enter one of the backup codes you saved when you set up two-step verification.',
    hint: 'Each backup code works once.',
    switchLabel: 'Use a backup code',
    incorrect: 'That backup code is incorrect or was already used.',
  },
}

/** The second factors this UI can ask for, in the order it offers them. */
const SHOWN = Object.keys(STEPS) as SignInSecondFactorStrategy[]

/** The step's own words for a wrong code and for the sign-in's attempts running out. */
function reword(err: unknown, step: Step): unknown {
  if (!(err instanceof LatchkeyAPIResponseError)) return err
  if (err.code === 'form_code_incorrect') return new FlowError(step.incorrect, 'code')
  if (err.code === 'verification_failed')
    return new FlowError('Too many incorrect codes. Start the sign-in again.')
  return err
}

/**
 * "Two-step verification" (issue #17): after the first factor, a user who set up an
 * authenticator app proves a second one, with the app's code or, through "Use a backup code", a
 * backup code (and back). Proved, the sign-in completes like every other step.
 */
export function secondFactorStep(
  host: Host,
  props: SignInProps,
  card: HTMLElement,
  signIn: SignInResource,
): void {
  const offered = SHOWN.filter((s) => signIn.supportedSecondFactors.some((f) => f.strategy === s))
  const first = offered[0]
  if (!first)
    throw new FlowError('This account needs a second sign-in step that this page can’t show.')

  const show = (strategy: SignInSecondFactorStrategy) => {
    const step = STEPS[strategy]
    const code = field({
      name: 'code',
      label: step.label,
      autocomplete: strategy === 'totp' ? 'one-time-code' : 'off',
      inputmode: strategy === 'totp' ? 'numeric' : 'text',
      required: true,
      hint: step.hint,
    })
    if (strategy === 'totp') {
      code.input.maxLength = 6
      code.input.classList.add('lk-code')
    }
    const form = h('form', { novalidate: true })
    const ctl = formController(form, { submitLabel: 'Continue' })
    const other = offered.find((s) => s !== strategy)
    const alternatives = h('div', { class: 'lk-alternatives' })
    if (other) {
      const toOther = h('button', { type: 'button', class: 'lk-link' }, STEPS[other].switchLabel)
      toOther.addEventListener('click', () => show(other))
      alternatives.append(toOther)
    }
    form.append(code.wrap, ctl.error, ctl.button, alternatives)
    ctl.onSubmit(async (v) => {
      const value = (v.code ?? '').replace(/\s+/g, '')
      if (strategy === 'totp' && !/^\d{6}$/.test(value))
        throw new FlowError('Enter the 6 digits from your authenticator app.', 'code')
      let next: SignInResource
      try {
        next = await signIn.attemptSecondFactor({ strategy, code: value })
      } catch (err) {
        throw reword(err, step)
      }
      await completeSignIn(host, props, next, card)
    })
    const restart = h('button', { type: 'button', class: 'lk-link' }, 'Start again')
    restart.addEventListener('click', () => host.switchTo('sign-in'))
    const titleId = showStep(card, {
      title: 'Two-step verification',
      subtitle: step.subtitle,
      body: [form, h('p', { class: 'lk-footer' }, restart)],
    })
    form.setAttribute('aria-labelledby', titleId)
    card.setAttribute('data-second-factor', strategy)
    code.input.focus()
  }
  show(first)
}
