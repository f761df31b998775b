import { ERROR_MESSAGES } from '../errors.js'
import { h, uid } from './dom.js'
import type { Host, Rendered, View } from './host.js'
import { finish } from './sign-in.js'

const LANDING: Record<string, { title: string; text: string }> = {
  verified: {
    title: 'Email verified',
    text: 'You’re signed in. You can close this tab and go back to the one where you started, or continue here.',
  },
  expired: {
    title: 'This link has expired',
    text: 'Go back to the tab where you started and ask for a new link.',
  },
  failed: {
    title: 'This link can’t be used',
    text: 'It was already used or is not valid. Ask for a new one.',
  },
  client_mismatch: {
    title: 'Open the link in the same browser',
    text: ERROR_MESSAGES.verification_client_mismatch,
  },
}

/**
 * The page an email link sent this tab back to (`?__clerk_status=`): what the link did, and the
 * way on — continue once signed in, or start again.
 */
export function linkLandingCard(
  host: Host,
  props: { redirectUrl?: string; forceRedirectUrl?: string },
  status: string,
  view: View,
): Rendered {
  const r = LANDING[status] ?? LANDING.failed
  const titleId = uid('title')
  const signedIn = status === 'verified' && host.lk.user !== null
  const next = h(
    'button',
    { type: 'button', class: 'lk-button' },
    signedIn ? 'Continue' : 'Start again',
  )
  next.addEventListener('click', () => {
    const url = new URL(window.location.href)
    for (const k of ['__clerk_status', '__clerk_created_session']) url.searchParams.delete(k)
    window.history.replaceState(null, '', url)
    if (signedIn) finish(host, props)
    else host.switchTo(view)
  })
  const el = h(
    'div',
    { class: 'lk-card', 'data-latchkey': view, 'aria-labelledby': titleId, role: 'region' },
    h('h1', { id: titleId, class: 'lk-title' }, r?.title),
    h('p', { class: 'lk-subtitle', role: 'status' }, r?.text),
    next,
  )
  return { el, focus: () => next.focus() }
}
