import type { Latchkey } from '../latchkey.js'
import { h } from './dom.js'
import type { Host, Rendered, View } from './host.js'
import { renderSignIn } from './sign-in.js'
import { renderSignUp } from './sign-up.js'
import { applyAppearance, injectStyles } from './theme.js'
import { renderUserButton } from './user-button.js'
import { renderUserProfile } from './user-profile.js'

type Props = Record<string, unknown> & { appearance?: import('./theme.js').Appearance }

function render(view: View, host: Host, props: Props): Rendered {
  switch (view) {
    case 'sign-in':
      return renderSignIn(host, props)
    case 'sign-up':
      return renderSignUp(host, props)
    case 'user-button':
      return renderUserButton(host, props)
    case 'user-profile':
      return renderUserProfile(host, props)
  }
}

/** Renders `view` into `root` once the instance has loaded, replacing what was there. */
function show(
  lk: Latchkey,
  root: HTMLElement,
  view: View,
  props: Props,
  host: Omit<Host, 'lk' | 'switchTo'>,
) {
  let current: Rendered | undefined
  let disposed = false
  const swap = (next: View) => {
    current?.destroy?.()
    current = render(next, { ...host, lk, switchTo: swap }, props)
    root.replaceChildren(current.el)
    if (host.inModal) current.focus?.()
  }
  void lk.load().then(() => {
    if (!disposed) swap(view)
  })
  return {
    focus: () => current?.focus?.(),
    destroy: () => {
      disposed = true
      current?.destroy?.()
    },
  }
}

const mounted = new WeakMap<HTMLElement, { destroy(): void }>()

/** `mountSignIn(el)` and friends: the component lives in `el` until `unmount(el)`. */
export function mount(lk: Latchkey, el: HTMLElement, view: View, props: Props): void {
  unmount(el)
  injectStyles(el.ownerDocument)
  const root = h('div', { class: 'lk-root' })
  applyAppearance(root, lk.options.appearance, props.appearance)
  // What the element holds (a server-rendered form) stays until the component can replace it.
  void lk.load().then(() => {
    if (mounted.get(el) === handle) el.replaceChildren(root)
  })
  const handle = show(lk, root, view, props, { inModal: false, close: () => {} })
  mounted.set(el, handle)
}

export function unmount(el: HTMLElement): void {
  mounted.get(el)?.destroy()
  mounted.delete(el)
  el.replaceChildren()
}

type Modal = { view: View; close(): void }
const modals = new WeakMap<Latchkey, Modal>()

/**
 * A modal dialog: `role="dialog"`, `aria-modal`, focus moved in and trapped, Escape or the close
 * button or a click on the backdrop closes it, focus returns to where it was.
 */
export function openModal(lk: Latchkey, view: View, props: Props): void {
  modals.get(lk)?.close()
  const doc = document
  injectStyles(doc)
  const opener = doc.activeElement as HTMLElement | null
  const root = h('div', { class: 'lk-root lk-backdrop', 'data-latchkey-modal': view })
  applyAppearance(root, lk.options.appearance, props.appearance)
  const dialog = h('div', {
    class: 'lk-modal',
    role: 'dialog',
    'aria-modal': 'true',
    'aria-label': labelOf(view),
  })
  const content = h('div', { style: 'display:contents' })
  const closeButton = h('button', { type: 'button', class: 'lk-close', 'aria-label': 'Close' }, '×')
  dialog.append(content, closeButton)
  root.append(dialog)

  const close = () => {
    shown.destroy()
    root.remove()
    doc.removeEventListener('keydown', onKey, true)
    doc.body.style.overflow = previousOverflow
    modals.delete(lk)
    opener?.focus?.()
  }
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault()
      close()
    } else if (e.key === 'Tab') {
      const focusable = [
        ...dialog.querySelectorAll<HTMLElement>(
          'a[href], button:not([disabled]), input:not([disabled])',
        ),
      ]
      const first = focusable[0]
      const last = focusable.at(-1)
      if (!first || !last) return
      if (e.shiftKey && (doc.activeElement === first || !dialog.contains(doc.activeElement))) {
        e.preventDefault()
        last.focus()
      } else if (
        !e.shiftKey &&
        (doc.activeElement === last || !dialog.contains(doc.activeElement))
      ) {
        e.preventDefault()
        first.focus()
      }
    }
  }
  root.addEventListener('mousedown', (e) => {
    if (e.target === root) close()
  })
  closeButton.addEventListener('click', close)
  doc.addEventListener('keydown', onKey, true)
  const previousOverflow = doc.body.style.overflow
  doc.body.style.overflow = 'hidden'
  doc.body.append(root)
  const shown = show(lk, content, view, props, { inModal: true, close })
  const modal: Modal = { view, close }
  modals.set(lk, modal)
}

export function closeModal(lk: Latchkey, view: View): void {
  const m = modals.get(lk)
  const auth = (v: View) => v === 'sign-in' || v === 'sign-up'
  if (m && (m.view === view || (auth(m.view) && auth(view)))) m.close()
}

function labelOf(view: View): string {
  return view === 'sign-in' ? 'Sign in' : view === 'sign-up' ? 'Sign up' : 'Account'
}
