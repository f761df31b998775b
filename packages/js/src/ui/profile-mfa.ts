import { describeError, FlowError } from '../errors.js'
import { LatchkeyAPIResponseError } from '../fapi.js'
import type { Latchkey } from '../latchkey.js'
import type { TOTPResource } from '../mfa-resources.js'
import type { UserResource } from '../resources.js'
import { field, formController, h, uid } from './dom.js'
import { qrCodeSvg } from './qr-code.js'
import { withReverification } from './reverify.js'

type Mode =
  | { kind: 'overview' }
  | { kind: 'scan'; totp: TOTPResource }
  | { kind: 'codes'; codes: string[]; why: string }
  | { kind: 'confirm-remove' }

/** The secret as authenticator apps print it: groups of four, easier to type. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ')

/**
 * The profile's "Two-step verification" (issue #17): set up an authenticator app from a QR code
 * of its `otpauth://` URI (or the secret typed in), confirm it with a code, then see the backup
 * codes once, with a copy button; once on, regenerate the backup codes (shown once) or remove
 * the app. One live status line and one alert for the section.
 */
export function twoStepSection(lk: Latchkey): { el: HTMLElement } {
  const el = h('div', { class: 'lk-mfa' })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const alert = h('p', { class: 'lk-error', role: 'alert' })
  let mode: Mode = { kind: 'overview' }

  const go = (next: Mode, said = '') => {
    mode = next
    status.textContent = said
    draw()
  }

  const button = (label: string, run: () => Promise<void>, style = 'lk-secondary') =>
    actionButton(alert, label, run, style)

  const overview = (): Node[] => {
    const user = lk.user
    if (!user) return []
    if (!user.totpEnabled)
      return [
        h(
          'p',
          { class: 'lk-muted' },
          'Add a second step to signing in: a code from an authenticator app on your phone.',
        ),
        button(
          'Set up authenticator app',
          async () =>
            go({ kind: 'scan', totp: await withReverification(lk, el, () => user.createTOTP()) }),
          'lk-button',
        ),
      ]
    return [
      h(
        'ul',
        { class: 'lk-list', 'aria-label': 'Second factors' },
        h('li', {}, h('span', {}, 'Authenticator app', h('span', { class: 'lk-badge' }, 'On'))),
        h(
          'li',
          {},
          h(
            'span',
            {},
            'Backup codes',
            h('span', { class: 'lk-badge' }, user.backupCodeEnabled ? 'On' : 'All used'),
          ),
        ),
      ),
      h(
        'div',
        { class: 'lk-actions lk-inline-form' },
        button('Regenerate backup codes', async () => {
          const { codes } = await withReverification(lk, el, () => user.createBackupCode())
          go({ kind: 'codes', codes, why: 'Your old backup codes no longer work.' })
        }),
        button('Remove authenticator app', async () => go({ kind: 'confirm-remove' }), 'lk-danger'),
      ),
    ]
  }

  const scan = (totp: TOTPResource): Node[] =>
    scanStep(totp, {
      user: () => lk.user,
      onVerified: (done) => {
        const said = 'Two-step verification is on.'
        if (done.backupCodes?.length)
          go({ kind: 'codes', codes: done.backupCodes, why: said }, said)
        else go({ kind: 'overview' }, said)
      },
      onCancel: () => go({ kind: 'overview' }),
    })

  const codes = (list: string[], why: string): Node[] =>
    codesStep(list, why, { alert, status, onDone: () => go({ kind: 'overview' }) })

  const confirmRemove = (): Node[] => {
    const cancel = h('button', { type: 'button', class: 'lk-button lk-secondary' }, 'Cancel')
    cancel.addEventListener('click', () => go({ kind: 'overview' }))
    return [
      h(
        'p',
        {},
        'Remove the authenticator app? Your backup codes stop working too, and signing in asks only for your password.',
      ),
      h(
        'div',
        { class: 'lk-actions' },
        button(
          'Yes, remove it',
          async () => {
            const user = lk.user
            if (user) await withReverification(lk, el, () => user.disableTOTP())
            go({ kind: 'overview' }, 'The authenticator app was removed.')
          },
          'lk-danger',
        ),
        cancel,
      ),
    ]
  }

  const draw = () => {
    const body =
      mode.kind === 'scan'
        ? scan(mode.totp)
        : mode.kind === 'codes'
          ? codes(mode.codes, mode.why)
          : mode.kind === 'confirm-remove'
            ? confirmRemove()
            : overview()
    el.replaceChildren(...body, alert, status)
  }

  draw()
  return { el }
}

/** A button running a call: busy meanwhile, its error in `alert`. */
function actionButton(
  alert: HTMLElement,
  label: string,
  run: () => Promise<void>,
  style = 'lk-secondary',
): HTMLButtonElement {
  const b = h('button', { type: 'button', class: `lk-button ${style}` }, label)
  b.addEventListener('click', () => {
    alert.textContent = ''
    b.disabled = true
    run()
      .catch((err: unknown) => {
        alert.textContent = describeError(err).message
      })
      .finally(() => {
        b.disabled = false
      })
  })
  return b
}

/**
 * Setting up the authenticator app: the QR code of its `otpauth://` URI, the secret to type in,
 * and the code that proves it. Shared by the profile and the sign-in's `setup-mfa` task.
 */
export function scanStep(
  totp: TOTPResource,
  o: {
    user: () => UserResource | null
    onVerified: (done: TOTPResource) => void
    onCancel?: () => void
  },
): Node[] {
  const uri = totp.uri ?? ''
  const secret = totp.secret ?? ''
  const code = field({
    name: 'code',
    label: 'Code from the app',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    required: true,
  })
  code.input.maxLength = 6
  code.input.classList.add('lk-code')
  const form = h('form', { novalidate: true, class: 'lk-inline-form' })
  const ctl = formController(form, { submitLabel: 'Verify' })
  const cancel = h('button', { type: 'button', class: 'lk-link' }, 'Cancel')
  const onCancel = o.onCancel
  if (onCancel) cancel.addEventListener('click', () => onCancel())
  form.append(
    code.wrap,
    ctl.error,
    ctl.button,
    onCancel ? h('p', { class: 'lk-alternatives' }, cancel) : '',
  )
  ctl.onSubmit(async (v) => {
    const value = (v.code ?? '').replace(/\s+/g, '')
    if (!/^\d{6}$/.test(value))
      throw new FlowError('Enter the 6 digits from your authenticator app.', 'code')
    const user = o.user()
    if (!user) return
    let done: TOTPResource
    try {
      done = await user.verifyTOTP({ code: value })
    } catch (err) {
      if (err instanceof LatchkeyAPIResponseError && err.code === 'form_code_incorrect')
        throw new FlowError(
          'That code is incorrect. Check your authenticator app and try again.',
          'code',
        )
      throw err
    }
    o.onVerified(done)
  })
  const secretId = uid('secret')
  const figure = h('figure', { class: 'lk-qr-figure', 'data-otpauth-uri': uri })
  figure.append(qrCodeSvg(uri, 'QR code for your authenticator app'))
  queueMicrotask(() => code.input.focus())
  return [
    h('p', {}, 'Scan this QR code with your authenticator app, then enter the code it shows.'),
    figure,
    h('p', { class: 'lk-muted', id: secretId }, 'Can’t scan it? Enter this key in the app:'),
    h(
      'code',
      { class: 'lk-secret', 'aria-describedby': secretId, 'data-secret': secret },
      grouped(secret),
    ),
    form,
  ]
}

/** The backup codes, shown once, with a copy button. */
export function codesStep(
  list: string[],
  why: string,
  o: { alert: HTMLElement; status: HTMLElement; onDone: () => void },
): Node[] {
  const copy = actionButton(o.alert, 'Copy codes', async () => {
    // The clipboard needs a secure context (https or localhost) and the page's permission.
    try {
      await navigator.clipboard.writeText(list.join('\n'))
    } catch {
      throw new FlowError('Copying isn’t allowed on this page. Select the codes and copy them.')
    }
    o.status.textContent = 'Backup codes copied.'
  })
  const done = h('button', { type: 'button', class: 'lk-button' }, 'I’ve saved them')
  done.addEventListener('click', () => o.onDone())
  queueMicrotask(() => copy.focus())
  return [
    h(
      'p',
      {},
      `${why} Save these backup codes somewhere safe: each one signs you in once if you lose your phone. They are shown only now.`,
    ),
    h(
      'ul',
      { class: 'lk-codes', 'aria-label': 'Backup codes' },
      ...list.map((c) => h('li', {}, h('code', {}, c))),
    ),
    h('div', { class: 'lk-actions' }, copy, done),
  ]
}
