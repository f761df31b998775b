import { describeError, FlowError } from '../errors.js'
import type { TOTPResource } from '../mfa-resources.js'
import { h } from './dom.js'
import type { Host } from './host.js'
import { codesStep, scanStep } from './profile-mfa.js'
import { showStep } from './verify.js'

/**
 * A new session that is `pending` (Clerk's session tasks, issue #17): the task's step takes
 * `card`, and `done` runs once the session is active. Answers whether it took over; an active
 * session is left to the caller. `setup-mfa` (the operator requires two-step verification):
 * the user sets up an authenticator app as in the profile, sees the backup codes once, and the
 * server makes the session active.
 */
export async function startSessionTask(
  host: Host,
  card: HTMLElement,
  sessionId: string,
  done: () => void,
): Promise<boolean> {
  const { lk } = host
  const session = lk.client?.sessions.find((s) => s.id === sessionId)
  if (session?.status !== 'pending') return false
  if (session.currentTask?.key !== 'setup-mfa')
    throw new FlowError('This account needs a step this page can’t show yet.')

  const activate = async () => {
    await lk.setActive({ session: sessionId })
    done()
  }
  const totp = await session.user.createTOTP()
  const alert = h('p', { class: 'lk-error', role: 'alert' })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const signOut = h('button', { type: 'button', class: 'lk-link' }, 'Sign out')
  signOut.addEventListener('click', () => {
    void lk.signOut({ sessionId }).finally(() => host.switchTo('sign-in'))
  })
  const title = 'Set up two-step verification'

  const onVerified = (result: TOTPResource) => {
    if (!result.backupCodes?.length) {
      void activate().catch((err: unknown) => {
        alert.textContent = describeError(err).message
      })
      return
    }
    const body = codesStep(result.backupCodes, 'Two-step verification is on.', {
      alert,
      status,
      onDone: () => {
        void activate().catch((err: unknown) => {
          alert.textContent = describeError(err).message
        })
      },
    })
    showStep(card, {
      title: 'Save your backup codes',
      subtitle: 'You’re almost done.',
      body: [...body, alert, status],
    })
  }

  const body = scanStep(totp, { user: () => session.user, onVerified })
  const titleId = showStep(card, {
    title,
    subtitle: 'This app requires a second step when you sign in: a code from an authenticator app.',
    body: [...body, alert, status, h('p', { class: 'lk-footer' }, signOut)],
  })
  card.querySelector('form')?.setAttribute('aria-labelledby', titleId)
  card.setAttribute('data-session-task', 'setup-mfa')
  return true
}
