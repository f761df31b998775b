import { describeError, FlowError } from '../errors.js'
import { LatchkeyAPIResponseError } from '../fapi.js'
import type { Latchkey } from '../latchkey.js'
import type { SessionResource } from '../resources.js'
import type {
  SessionVerificationLevel,
  SessionVerificationResource,
} from '../session-verification.js'
import { field, formController, h, uid } from './dom.js'

const LEVELS: SessionVerificationLevel[] = ['first_factor', 'second_factor', 'multi_factor']

/** The level a `session_reverification_required` answer asks for, else Clerk's default. */
function levelOf(err: LatchkeyAPIResponseError): SessionVerificationLevel {
  const asked = err.errors[0]?.meta.sessionVerification?.level
  return LEVELS.find((l) => l === asked) ?? 'second_factor'
}

export const needsReverification = (err: unknown): err is LatchkeyAPIResponseError =>
  err instanceof LatchkeyAPIResponseError && err.code === 'session_reverification_required'

/**
 * Runs a sensitive action (Clerk's `useReverification`, issue #17): when the server answers
 * `session_reverification_required`, a "Verification required" step takes `anchor`'s place
 * (the password, an emailed code, or the authenticator or a backup code, as the server offers),
 * then the action runs once more. Cancelling rejects with a {@link FlowError}.
 */
export async function withReverification<T>(
  lk: Latchkey,
  anchor: HTMLElement,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action()
  } catch (err) {
    if (!needsReverification(err)) throw err
    const session = lk.session
    if (!session) throw err
    await reverify(session, anchor, levelOf(err))
    return action()
  }
}

type SecondStrategy = 'totp' | 'backup_code'
const SECOND: Record<SecondStrategy, { label: string; hint: string; switchLabel: string }> = {
  totp: {
    label: 'Authenticator code',
    hint: 'Enter the 6-digit code from your authenticator app.',
    switchLabel: 'Use your authenticator app',
  },
  backup_code: {
    label: 'Backup code',
    hint: 'Enter one of your backup codes. Each works once.',
    switchLabel: 'Use a backup code',
  },
}

/** The wording of a wrong answer and of the attempts running out, for this step. */
function reword(err: unknown, wrong: string): unknown {
  if (!(err instanceof LatchkeyAPIResponseError)) return err
  if (err.code === 'form_password_incorrect' || err.code === 'form_code_incorrect')
    return new FlowError(wrong, err.code === 'form_password_incorrect' ? 'password' : 'code')
  if (err.code === 'verification_failed')
    return new FlowError('Too many incorrect attempts. Cancel and try the change again.')
  return err
}

/** Shows the step in `anchor`'s place until the verification is complete or cancelled. */
async function reverify(
  session: SessionResource,
  anchor: HTMLElement,
  level: SessionVerificationLevel,
): Promise<void> {
  const start = await session.startVerification({ level })
  const titleId = uid('title')
  const panel = h('div', {
    class: 'lk-reverify lk-inline-form',
    role: 'group',
    'aria-labelledby': titleId,
    'data-latchkey': 'reverification',
  })
  anchor.hidden = true
  anchor.after(panel)
  const close = () => {
    panel.remove()
    anchor.hidden = false
  }

  return new Promise<void>((resolve, reject) => {
    const cancel = h('button', { type: 'button', class: 'lk-link' }, 'Cancel')
    cancel.addEventListener('click', () => {
      close()
      reject(new FlowError('Verification was cancelled. Nothing was changed.'))
    })

    const next = (v: SessionVerificationResource, strategy?: SecondStrategy): void => {
      if (v.status === 'complete') {
        close()
        resolve()
        return
      }
      const form = h('form', { novalidate: true })
      const ctl = formController(form, { submitLabel: 'Continue' })
      const alternatives = h('p', { class: 'lk-alternatives' })
      let subtitle: string
      let input: HTMLInputElement
      if (v.status === 'needs_second_factor') {
        const offered = (['totp', 'backup_code'] as const).filter((s) =>
          v.supportedSecondFactors.some((f) => f.strategy === s),
        )
        const shown = strategy ?? offered[0]
        if (!shown) throw new FlowError('This account’s second factor can’t be checked here.')
        const words = SECOND[shown]
        const code = field({
          name: 'code',
          label: words.label,
          autocomplete: shown === 'totp' ? 'one-time-code' : 'off',
          inputmode: shown === 'totp' ? 'numeric' : 'text',
          required: true,
        })
        if (shown === 'totp') code.input.maxLength = 6
        input = code.input
        subtitle = words.hint
        form.append(code.wrap)
        const other = offered.find((s) => s !== shown)
        if (other) {
          const to = h('button', { type: 'button', class: 'lk-link' }, SECOND[other].switchLabel)
          to.addEventListener('click', () => next(v, other))
          alternatives.append(to)
        }
        ctl.onSubmit(async (values) => {
          const value = (values.code ?? '').replace(/\s+/g, '')
          if (shown === 'totp' && !/^\d{6}$/.test(value))
            throw new FlowError('Enter the 6 digits from your authenticator app.', 'code')
          try {
            next(await session.attemptSecondFactorVerification({ strategy: shown, code: value }))
          } catch (err) {
            throw reword(err, 'That code is incorrect. Try again.')
          }
        })
      } else if (v.supportedFirstFactors.some((f) => f.strategy === 'password')) {
        const password = field({
          name: 'password',
          label: 'Password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
        })
        input = password.input
        subtitle = 'Enter your current password to continue.'
        form.append(password.wrap)
        ctl.onSubmit(async (values) => {
          try {
            next(
              await session.attemptFirstFactorVerification({
                strategy: 'password',
                password: values.password ?? '',
              }),
            )
          } catch (err) {
            throw reword(err, 'Password is incorrect. Try again.')
          }
        })
      } else {
        const email = v.supportedFirstFactors.find((f) => f.strategy === 'email_code')
        if (!email) throw new FlowError('This account can’t be verified again here.')
        const code = field({
          name: 'code',
          label: 'Verification code',
          autocomplete: 'one-time-code',
          inputmode: 'numeric',
          required: true,
        })
        input = code.input
        subtitle = `Enter the code we emailed to ${email.safeIdentifier ?? 'you'}.`
        form.append(code.wrap)
        const id = email.emailAddressId ? { emailAddressId: email.emailAddressId } : {}
        void session
          .prepareFirstFactorVerification({ strategy: 'email_code', ...id })
          .catch((err: unknown) => ctl.show(describeError(err).message))
        ctl.onSubmit(async (values) => {
          try {
            next(
              await session.attemptFirstFactorVerification({
                strategy: 'email_code',
                code: (values.code ?? '').trim(),
              }),
            )
          } catch (err) {
            throw reword(err, 'That code is incorrect. Check the email and try again.')
          }
        })
      }
      alternatives.append(cancel)
      form.append(ctl.error, ctl.button, alternatives)
      form.setAttribute('aria-labelledby', titleId)
      panel.replaceChildren(
        h('h3', { id: titleId, class: 'lk-title' }, 'Verification required'),
        h('p', { class: 'lk-subtitle' }, subtitle),
        form,
      )
      input.focus()
    }

    try {
      next(start)
    } catch (err) {
      close()
      reject(err)
    }
  })
}
