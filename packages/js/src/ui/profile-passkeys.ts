import { describeError, FlowError } from '../errors.js'
import type { Latchkey } from '../latchkey.js'
import type { PasskeyResource } from '../passkey-resource.js'
import { field, formController, h } from './dom.js'
import { withReverification } from './reverify.js'

type Mode =
  | { kind: 'list' }
  | { kind: 'rename'; id: string }
  | { kind: 'confirm-remove'; id: string }

const day = (d: Date | null) => (d ? d.toLocaleDateString(undefined, { dateStyle: 'medium' }) : '')

/**
 * The profile's "Passkeys" (issue #17): each passkey with its name, when it was added and last
 * used; "Add a passkey" (the browser's own prompt), "Rename" and "Remove" (confirmed first). One
 * live status line and one alert for the section.
 */
export function passkeysSection(lk: Latchkey): { el: HTMLElement } {
  const el = h('div', { class: 'lk-passkeys' })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const alert = h('p', { class: 'lk-error', role: 'alert' })
  let mode: Mode = { kind: 'list' }

  const go = (next: Mode, said = '') => {
    mode = next
    status.textContent = said
    draw()
  }

  /** A button running one of the section's calls: busy meanwhile, its error in the alert. */
  const button = (
    label: string,
    run: () => Promise<void>,
    style = 'lk-secondary',
    aria?: string,
  ) => {
    const b = h(
      'button',
      { type: 'button', class: `lk-button ${style}`, 'aria-label': aria },
      label,
    )
    b.addEventListener('click', () => {
      alert.textContent = ''
      status.textContent = ''
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

  const nameOf = (p: PasskeyResource) => p.name || 'Passkey'

  const row = (p: PasskeyResource): HTMLElement => {
    const name = nameOf(p)
    const facts = [
      `Added ${day(p.createdAt)}`,
      p.lastUsedAt ? `last used ${day(p.lastUsedAt)}` : 'never used to sign in',
    ].join(' · ')
    let actions: Node
    if (mode.kind === 'rename' && mode.id === p.id) {
      const input = field({ name: 'name', label: 'Passkey name', required: true, value: name })
      input.input.maxLength = 256
      const form = h('form', { novalidate: true, class: 'lk-inline-form' })
      const ctl = formController(form, { submitLabel: 'Save' })
      const cancel = h('button', { type: 'button', class: 'lk-link' }, 'Cancel')
      cancel.addEventListener('click', () => go({ kind: 'list' }))
      form.append(input.wrap, ctl.error, ctl.button, h('p', { class: 'lk-alternatives' }, cancel))
      ctl.onSubmit(async (v) => {
        const next = (v.name ?? '').trim()
        if (!next) throw new FlowError('Enter a name for the passkey.', 'name')
        const renamed = await p.update({ name: next })
        go({ kind: 'list' }, `Renamed to ${nameOf(renamed)}.`)
      })
      queueMicrotask(() => input.input.select())
      actions = form
    } else if (mode.kind === 'confirm-remove' && mode.id === p.id) {
      const cancel = h('button', { type: 'button', class: 'lk-button lk-secondary' }, 'Cancel')
      cancel.addEventListener('click', () => go({ kind: 'list' }))
      actions = h(
        'div',
        {},
        h('p', {}, `Remove ${name}? It will no longer sign you in.`),
        h(
          'div',
          { class: 'lk-actions' },
          button(
            'Yes, remove it',
            async () => {
              await withReverification(lk, el, () => p.delete())
              go({ kind: 'list' }, `${name} was removed.`)
            },
            'lk-danger',
          ),
          cancel,
        ),
      )
    } else {
      actions = h(
        'div',
        { class: 'lk-actions lk-inline-form' },
        button(
          'Rename',
          async () => go({ kind: 'rename', id: p.id }),
          'lk-secondary',
          `Rename ${name}`,
        ),
        button(
          'Remove',
          async () => go({ kind: 'confirm-remove', id: p.id }),
          'lk-danger',
          `Remove ${name}`,
        ),
      )
    }
    return h(
      'li',
      { 'data-passkey-id': p.id },
      h('div', {}, h('div', {}, name), h('div', { class: 'lk-muted' }, facts)),
      actions,
    )
  }

  const draw = () => {
    const user = lk.user
    if (!user) return el.replaceChildren()
    const list = user.passkeys
    const add = button(
      'Add a passkey',
      async () => {
        const made = await withReverification(lk, el, () => user.createPasskey())
        go({ kind: 'list' }, `${nameOf(made)} was added. You can now sign in with it.`)
      },
      list.length ? 'lk-secondary' : 'lk-button',
    )
    el.replaceChildren(
      list.length
        ? h('ul', { class: 'lk-list', 'aria-label': 'Your passkeys' }, ...list.map(row))
        : h(
            'p',
            { class: 'lk-muted' },
            'Sign in with your fingerprint, face or screen lock instead of a password.',
          ),
      h('div', { class: 'lk-actions' }, add),
      alert,
      status,
    )
  }

  draw()
  return { el }
}
