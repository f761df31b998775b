import { describeError, ERROR_MESSAGES } from '../errors.js'
import type { ExternalAccountResource } from '../external-account-resource.js'
import type { Latchkey } from '../latchkey.js'
import { h } from './dom.js'
import { withReverification } from './reverify.js'

/** The instance's enabled providers, `oauth_<key>` → a name for people. */
export function socialProviders(lk: Lk): { strategy: string; name: string }[] {
  const social = lk.environment?.user_settings.social ?? {}
  return Object.values(social)
    .filter((s) => s.enabled)
    .map((s) => ({ strategy: s.strategy, name: s.name ?? s.strategy.replace(/^oauth_/, '') }))
}
type Lk = Pick<Latchkey, 'environment'>

/** The provider's refusal the callback added to the page's URL, read once and removed. */
function takeCallbackError(): string {
  if (typeof window === 'undefined') return ''
  const url = new URL(window.location.href)
  const code = url.searchParams.get('latchkey_error')
  if (!code) return ''
  url.searchParams.delete('latchkey_error')
  window.history.replaceState(window.history.state, '', url.href)
  return (ERROR_MESSAGES as Record<string, string>)[code] ?? 'The account could not be connected.'
}

/**
 * The profile's "Connected accounts" (issue #18): each linked provider account with its email
 * there; "Connect <provider>" for each enabled provider not linked yet (a redirect to the
 * provider and back to this page, after a step-up when the server asks); "Disconnect"
 * (confirmed first; the server refuses the last way in).
 */
export function connectedAccountsSection(lk: Latchkey): { el: HTMLElement } {
  const el = h('div', { class: 'lk-connected-accounts' })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const alert = h('p', { class: 'lk-error', role: 'alert' }, takeCallbackError())
  let confirming: string | null = null

  const button = (label: string, run: () => Promise<void>, style = 'lk-secondary') => {
    const b = h('button', { type: 'button', class: `lk-button ${style}` }, label)
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

  const nameOf = (provider: string) =>
    socialProviders(lk).find((p) => p.strategy === provider)?.name ??
    provider.replace(/^oauth_(custom_)?/, '')

  const row = (a: ExternalAccountResource): HTMLElement => {
    const name = nameOf(a.provider)
    const label = a.emailAddress || [a.firstName, a.lastName].filter(Boolean).join(' ')
    const actions =
      confirming === a.id
        ? h(
            'div',
            {},
            h('p', {}, `Disconnect ${name}? It will no longer sign you in.`),
            h(
              'div',
              { class: 'lk-actions' },
              button(
                'Yes, disconnect',
                async () => {
                  await withReverification(lk, el, () => a.destroy())
                  confirming = null
                  status.textContent = `${name} was disconnected.`
                  draw()
                },
                'lk-danger',
              ),
              button('Cancel', async () => {
                confirming = null
                draw()
              }),
            ),
          )
        : h(
            'div',
            { class: 'lk-actions' },
            button(
              'Disconnect',
              async () => {
                confirming = a.id
                draw()
              },
              'lk-danger',
            ),
          )
    return h(
      'li',
      { 'data-external-account-id': a.id },
      h('div', {}, h('div', {}, name), h('div', { class: 'lk-muted' }, label)),
      actions,
    )
  }

  const draw = () => {
    const user = lk.user
    if (!user) return el.replaceChildren()
    const linked = new Set(user.externalAccounts.map((a) => a.provider))
    const connect = socialProviders(lk)
      .filter((p) => !linked.has(p.strategy))
      .map((p) =>
        button(`Connect ${p.name}`, async () => {
          const pending = await withReverification(lk, el, () =>
            user.createExternalAccount({
              strategy: p.strategy,
              redirectUrl: window.location.href,
            }),
          )
          const to = pending.verification.externalVerificationRedirectURL
          if (!to) throw new Error('The server sent no provider address.')
          status.textContent = `Taking you to ${p.name}…`
          window.location.assign(to.href)
        }),
      )
    el.replaceChildren(
      user.externalAccounts.length
        ? h(
            'ul',
            { class: 'lk-list', 'aria-label': 'Your connected accounts' },
            ...user.externalAccounts.map(row),
          )
        : h('p', { class: 'lk-muted' }, 'Sign in with an account you have elsewhere.'),
      ...(connect.length ? [h('div', { class: 'lk-actions' }, ...connect)] : []),
      alert,
      status,
    )
  }

  draw()
  return { el }
}
