import type { UserButtonProps } from '../latchkey.js'
import { h, initials, uid } from './dom.js'
import type { Host, Rendered } from './host.js'

/**
 * The avatar button with its menu (Manage account, Sign out). A menu button in the WAI-ARIA
 * sense: Enter/Space/ArrowDown open it on the first item, arrows move, Escape closes and returns
 * focus, Tab or a click outside closes it. Shows nothing while signed out.
 */
export function renderUserButton(host: Host, props: UserButtonProps): Rendered {
  const { lk } = host
  const el = h('div', { class: 'lk-user-button', 'data-latchkey': 'user-button' })
  let cleanup: (() => void) | undefined

  const draw = () => {
    cleanup?.()
    cleanup = undefined
    el.replaceChildren()
    const user = lk.user
    if (!user) return
    const name =
      user.fullName ?? user.username ?? user.primaryEmailAddress?.emailAddress ?? 'Account'
    const email = user.primaryEmailAddress?.emailAddress ?? ''
    const menuId = uid('menu')
    const button = h(
      'button',
      {
        type: 'button',
        class: 'lk-avatar',
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'aria-controls': menuId,
        'aria-label': `Open user menu for ${name}`,
      },
      initials(name),
    )
    const items = [
      h(
        'button',
        { type: 'button', role: 'menuitem', class: 'lk-menu-item', tabindex: '-1' },
        'Manage account',
      ),
      h(
        'button',
        { type: 'button', role: 'menuitem', class: 'lk-menu-item', tabindex: '-1' },
        'Sign out',
      ),
    ] as const
    const menu = h(
      'div',
      { id: menuId, class: 'lk-menu', role: 'menu', 'aria-label': 'User menu', hidden: true },
      h(
        'div',
        { class: 'lk-menu-header' },
        h('div', {}, h('strong', {}, name)),
        h('div', { class: 'lk-muted' }, email),
      ),
      ...items,
    )
    const open = (focusIndex = 0) => {
      menu.hidden = false
      button.setAttribute('aria-expanded', 'true')
      items[focusIndex]?.focus()
    }
    const close = (returnFocus: boolean) => {
      if (menu.hidden) return
      menu.hidden = true
      button.setAttribute('aria-expanded', 'false')
      if (returnFocus) button.focus()
    }
    button.addEventListener('click', () => (menu.hidden ? open() : close(false)))
    button.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') {
        e.preventDefault()
        open(0)
      } else if (e.key === 'ArrowUp') {
        e.preventDefault()
        open(items.length - 1)
      }
    })
    menu.addEventListener('keydown', (e) => {
      const i = items.indexOf(document.activeElement as HTMLButtonElement)
      if (e.key === 'Escape') {
        e.preventDefault()
        close(true)
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        const next = (i + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length
        items[next]?.focus()
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault()
        items[e.key === 'Home' ? 0 : items.length - 1]?.focus()
      } else if (e.key === 'Tab') {
        close(false)
      }
    })
    items[0].addEventListener('click', () => {
      close(false)
      lk.openUserProfile({
        ...(props.afterSignOutUrl ? { afterSignOutUrl: props.afterSignOutUrl } : {}),
      })
    })
    items[1].addEventListener('click', () => {
      close(false)
      void lk.signOut(props.afterSignOutUrl ? { redirectUrl: props.afterSignOutUrl } : {})
    })
    const outside = (e: MouseEvent) => {
      if (!el.contains(e.target as Node)) close(false)
    }
    document.addEventListener('mousedown', outside)
    cleanup = () => document.removeEventListener('mousedown', outside)
    el.append(button, menu)
  }

  draw()
  const off = lk.addListener(() => draw())
  return {
    el,
    destroy: () => {
      off()
      cleanup?.()
    },
  }
}
