import { describeError } from '../errors.js'
import { h } from './dom.js'
import { action, Cooldown, codeForm, cooldownButton, showStep } from './verify.js'

export type EmailStrategy = 'email_code' | 'email_link'

/** What a flow (sign-up, sign-in) lends the "Check your email" steps. */
export type EmailProof = {
  /** The address the mail goes to, as the person may see it. */
  email: string
  strategies: EmailStrategy[]
  /** Title of the code step ("Check your email"). */
  title?: string
  submitLabel?: string
  sendCode(): Promise<void>
  /** Proves the code and finishes the flow, or throws (shown under the code). */
  attemptCode(code: string): Promise<void>
  /** Sends a link, then resolves once it was opened and the flow finished (or throws). */
  startLink(): { done: Promise<void>; cancel(): void }
  /** The way back to the first step. */
  back: { label: string; run(): void }
}

/**
 * The "Check your email" steps in `card`: a 6-digit code, or a link that completes this tab by
 * itself once opened (in any tab of this browser), switching between the two. One cooldown
 * covers both: the server allows one send every 30 s per verification.
 */
export function proveEmail(
  card: HTMLElement,
  proof: EmailProof,
  first: EmailStrategy,
): { destroy(): void; focus(): void } {
  const cooldown = new Cooldown()
  let cancelLink: (() => void) | undefined
  let focus = () => {}
  const backButton = () => {
    const b = h('button', { type: 'button', class: 'lk-link' }, proof.back.label)
    b.addEventListener('click', () => {
      stop()
      proof.back.run()
    })
    return h('p', { class: 'lk-footer' }, b)
  }
  const stop = () => {
    cancelLink?.()
    cancelLink = undefined
    cooldown.detach()
  }

  const showCode = () => {
    stop()
    const alternatives: Node[] = []
    const step = codeForm({
      titleId: '',
      submitLabel: proof.submitLabel ?? 'Verify',
      cooldown,
      attempt: proof.attemptCode,
      resend: proof.sendCode,
      alternatives,
    })
    if (proof.strategies.includes('email_link')) {
      const toLink = cooldownButton('Use a link instead', cooldown, { counting: false })
      toLink.addEventListener('click', () => showLink())
      step.form.querySelector('.lk-alternatives')?.append(' · ', toLink)
    }
    const id = showStep(card, {
      title: proof.title ?? 'Check your email',
      subtitle: `Enter the 6-digit code we sent to ${proof.email}.`,
      body: [step.form, backButton()],
    })
    step.form.setAttribute('aria-labelledby', id)
    focus = step.focus
    step.focus()
  }

  const showLink = () => {
    stop()
    const waiting = h(
      'p',
      { class: 'lk-waiting', role: 'status', 'aria-live': 'polite', tabindex: -1 },
      'Waiting for you to open the link…',
    )
    const alert = h('div', { class: 'lk-error', role: 'alert', 'aria-live': 'assertive' })
    const resend = cooldownButton('Resend link', cooldown, { counting: true })
    const start = () => {
      cancelLink?.()
      alert.textContent = ''
      cooldown.start()
      const flow = proof.startLink()
      cancelLink = flow.cancel
      flow.done.catch((err: unknown) => {
        cooldown.fromError(err)
        alert.textContent = describeError(err).message
        waiting.textContent = ''
      })
    }
    resend.addEventListener('click', () => {
      waiting.textContent = 'A new link is on its way. Waiting for you to open it…'
      start()
    })
    const row = h('div', { class: 'lk-alternatives' }, resend)
    if (proof.strategies.includes('email_code')) {
      const toCode = cooldownButton('Use a code instead', cooldown, { counting: false })
      action(
        toCode,
        alert,
        async () => {
          await proof.sendCode()
          cooldown.start()
          showCode()
        },
        cooldown,
      )
      row.append(' · ', toCode)
    }
    showStep(card, {
      title: 'Check your email',
      subtitle: `Open the link we sent to ${proof.email}. This page continues by itself once you have, even if you open it in another tab.`,
      body: [waiting, alert, row, backButton()],
    })
    focus = () => waiting.focus()
    start()
    waiting.focus()
  }

  if (first === 'email_link') showLink()
  else {
    cooldown.start()
    showCode()
  }
  return {
    destroy: () => {
      stop()
      cooldown.stop()
    },
    focus: () => focus(),
  }
}
