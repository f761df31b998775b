import { describeError, FlowError } from '../errors.js'
import { LatchkeyAPIResponseError } from '../fapi.js'
import type { Latchkey } from '../latchkey.js'
import type { ClientResource } from '../resources.js'
import { field, formController, h, uid } from './dom.js'

/** The instance's client, there from the moment `load()` resolved (components render after). */
export function loadedClient(lk: Latchkey): ClientResource {
  if (!lk.client) throw new FlowError('Still loading. Please try again in a moment.')
  return lk.client
}

/** The server's resend cooldown (Clerk's): a new code or link after 30 s. */
export const RESEND_COOLDOWN_S = 30

/** The wait before another code or link may be asked for, ticking once a second. */
export class Cooldown {
  #until = 0
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #listeners = new Set<() => void>()

  get remaining(): number {
    return Math.max(0, Math.ceil((this.#until - Date.now()) / 1000))
  }

  start(seconds = RESEND_COOLDOWN_S): void {
    this.#until = Date.now() + seconds * 1000
    clearInterval(this.#timer)
    this.#timer = setInterval(() => {
      this.#emit()
      if (this.remaining === 0) clearInterval(this.#timer)
    }, 1000)
    this.#emit()
  }

  /** A 429 from a resend tells how long is left: the countdown follows the server. */
  fromError(err: unknown): void {
    if (err instanceof LatchkeyAPIResponseError && err.status === 429 && err.retryAfter)
      this.start(err.retryAfter)
  }

  onChange(fn: () => void): void {
    this.#listeners.add(fn)
    fn()
  }

  /** Forgets the buttons of a step that is no longer shown. */
  detach(): void {
    this.#listeners.clear()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#listeners.clear()
  }

  #emit(): void {
    for (const fn of this.#listeners) fn()
  }
}

/** A button disabled while `cooldown` runs; `counting` ones show the seconds left. */
export function cooldownButton(
  label: string,
  cooldown: Cooldown,
  opts: { counting: boolean; className?: string },
): HTMLButtonElement {
  const button = h('button', { type: 'button', class: opts.className ?? 'lk-link' }, label)
  cooldown.onChange(() => {
    const left = cooldown.remaining
    button.disabled = left > 0
    if (opts.counting) button.textContent = left > 0 ? `${label} (${left} s)` : label
  })
  return button
}

/** A card's content replaced by one step: a heading, what to do, then the step's own nodes. */
export function showStep(
  card: HTMLElement,
  step: { title: string; subtitle: string; body: Node[] },
): string {
  const titleId = uid('title')
  card.replaceChildren(
    h('h1', { id: titleId, class: 'lk-title' }, step.title),
    h('p', { class: 'lk-subtitle' }, step.subtitle),
    ...step.body,
  )
  return titleId
}

/**
 * Runs a step's secondary action (resend, switch to a link, …) from a button: busy while it
 * runs, its error in `alert` (and a 429's wait in the cooldown).
 */
export function action(
  button: HTMLButtonElement,
  alert: HTMLElement,
  fn: () => Promise<void>,
  cooldown?: Cooldown,
): void {
  button.addEventListener('click', () => {
    alert.textContent = ''
    const wasDisabled = button.disabled
    button.disabled = true
    fn()
      .catch((err: unknown) => {
        cooldown?.fromError(err)
        alert.textContent = describeError(err).message
      })
      .finally(() => {
        if (!cooldown || cooldown.remaining === 0) button.disabled = wasDisabled
      })
  })
}

/** The 6-digit code input: one-time-code autofill, a numeric keyboard, six digits. */
export function codeField(): ReturnType<typeof field> {
  const f = field({
    name: 'code',
    label: 'Verification code',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    required: true,
    hint: 'The 6-digit code from the email.',
  })
  f.input.maxLength = 6
  f.input.pattern = '[0-9]{6}'
  f.input.classList.add('lk-code')
  return f
}

/**
 * The "Check your email" code form: the code, Verify, then "Resend code" with its countdown and
 * any `alternatives` (a link instead, another address) under it.
 */
export function codeForm(opts: {
  titleId: string
  submitLabel: string
  cooldown: Cooldown
  attempt(code: string): Promise<void>
  resend(): Promise<void>
  alternatives?: Node[]
}): { form: HTMLFormElement; focus(): void } {
  const code = codeField()
  const form = h('form', { novalidate: true, 'aria-labelledby': opts.titleId })
  const ctl = formController(form, { submitLabel: opts.submitLabel })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const resend = cooldownButton('Resend code', opts.cooldown, { counting: true })
  action(
    resend,
    ctl.error,
    async () => {
      status.textContent = ''
      await opts.resend()
      opts.cooldown.start()
      status.textContent = 'A new code is on its way.'
      code.input.value = ''
      code.input.focus()
    },
    opts.cooldown,
  )
  form.append(
    code.wrap,
    ctl.error,
    ctl.button,
    h(
      'div',
      { class: 'lk-alternatives' },
      h('span', { class: 'lk-muted' }, 'Didn’t get it? '),
      resend,
      ...(opts.alternatives ?? []),
    ),
    status,
  )
  ctl.onSubmit(async (v) => {
    const value = (v.code ?? '').replace(/\s+/g, '')
    if (!/^\d{6}$/.test(value)) throw new FlowError('Enter the 6 digits from the email.', 'code')
    await opts.attempt(value)
  })
  return { form, focus: () => code.input.focus() }
}

/** Where an email link sends the browser back: this page, without a previous link's result. */
export function linkReturnUrl(): string {
  const url = new URL(window.location.href)
  for (const k of ['__clerk_status', '__clerk_created_session']) url.searchParams.delete(k)
  return url.toString()
}

/** The result an email link's redirect brought to this page, if any (Clerk's query). */
export function linkLanding(): string | null {
  if (typeof window === 'undefined') return null
  return new URL(window.location.href).searchParams.get('__clerk_status')
}
