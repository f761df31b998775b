import { describeError, FlowError } from '../errors.js'
import type { SignInProps, SignUpProps } from '../latchkey.js'
import type { OAuthStrategy } from '../sign-in-resource.js'
import type { SignUpResource } from '../sign-up-resource.js'
import { finishRedirectFlow } from '../sso-callback.js'
import { field, formController, h, uid } from './dom.js'
import { proveEmail } from './email-proof.js'
import type { Host, Rendered } from './host.js'
import { startSessionTask } from './session-tasks.js'
import { completeSignIn, finish } from './sign-in.js'
import { loadedClient } from './verify.js'

/** Marks the page a provider's redirect comes back to: the component finishes the flow there. */
export const SSO_RETURN_PARAM = 'latchkey_sso_callback'

/** The instance's social connections (`user_settings.social`), in the environment's order. */
export function socialConnections(host: Host): { strategy: OAuthStrategy; name: string }[] {
  const social = host.lk.environment?.user_settings.social ?? {}
  return Object.values(social)
    .filter((c) => c.enabled && c.strategy.startsWith('oauth_'))
    .map((c) => ({ strategy: c.strategy as OAuthStrategy, name: c.name ?? c.strategy.slice(6) }))
}

/** This page with the return marker: where the provider's answer and the completed flow land. */
export function ssoReturnUrl(host: Host): string {
  const url = new URL(window.location.href)
  // From a modal, `load()` opens the sign-in modal on the return to finish there.
  url.searchParams.set(SSO_RETURN_PARAM, host.inModal ? 'modal' : '1')
  url.hash = ''
  return url.href
}

/**
 * "Continue with <provider>" buttons, one per connection, above the card's form. Sign-in starts
 * a sign-in, sign-up a sign-up; either transfers to the other on return when the account does
 * (or does not) exist yet. Errors show on `show`.
 */
export function socialButtons(
  host: Host,
  kind: 'sign-in' | 'sign-up',
  show: (message: string) => void,
): HTMLElement | null {
  const connections = socialConnections(host)
  if (!connections.length) return null
  const buttons = connections.map(({ strategy, name }) => {
    const button = h(
      'button',
      { type: 'button', class: 'lk-button lk-secondary lk-wide-button', 'data-strategy': strategy },
      `Continue with ${name}`,
    )
    button.addEventListener('click', () => {
      button.disabled = true
      const client = loadedClient(host.lk)
      const back = ssoReturnUrl(host)
      const params = { strategy, redirectUrl: back, redirectUrlComplete: back }
      const go =
        kind === 'sign-in'
          ? client.signIn.authenticateWithRedirect(params)
          : client.signUp.authenticateWithRedirect(params)
      go.catch((err: unknown) => {
        button.disabled = false
        show(describeError(err).message)
      })
    })
    return button
  })
  return h('div', { class: 'lk-social' }, ...buttons, h('p', { class: 'lk-divider' }, 'or'))
}

/** Whether this page is a provider's return to a component (the marker is in the URL). */
export function isSsoReturn(): boolean {
  return (
    typeof window !== 'undefined' &&
    new URL(window.location.href).searchParams.has(SSO_RETURN_PARAM)
  )
}

/**
 * The card shown on a provider's return (the SDK's `handleRedirectCallback`, in the UI): the
 * session becomes active and the component finishes; a second factor, the fields the provider
 * did not give, or the provider's refusal are shown in the card.
 */
export function ssoReturnCard(host: Host, props: SignInProps & SignUpProps): Rendered {
  const url = new URL(window.location.href)
  url.searchParams.delete(SSO_RETURN_PARAM)
  window.history.replaceState(window.history.state, '', url.href)
  const titleId = uid('title')
  const status = h('p', { class: 'lk-subtitle', role: 'status' }, 'Signing you in…')
  const card = h(
    'div',
    { class: 'lk-card', 'data-latchkey': 'sso-callback', 'aria-labelledby': titleId },
    h('h1', { id: titleId, class: 'lk-title' }, 'Continue'),
    status,
  )
  const failed = (message: string) => {
    status.textContent = message
    status.setAttribute('role', 'alert')
    status.classList.add('lk-error')
    card.append(
      h(
        'p',
        { class: 'lk-footer' },
        h(
          'button',
          { type: 'button', class: 'lk-link', onclick: () => host.switchTo('sign-in') },
          'Back to sign-in',
        ),
      ),
    )
  }
  const activate = async (sessionId: string) => {
    if (await startSessionTask(host, card, sessionId, () => finish(host, props))) return
    await host.lk.setActive({ session: sessionId })
    finish(host, props)
  }
  // The client was read as the page loaded, after the callback: the flow is as it left it.
  void (async () => {
    await finishRedirectFlow(loadedClient(host.lk)).then(async (outcome) => {
      switch (outcome.status) {
        case 'complete':
          return activate(outcome.sessionId)
        case 'needs_second_factor':
          return completeSignIn(host, props, outcome.signIn, card)
        case 'missing_requirements':
          return missingFieldsStep(card, outcome.signUp, activate)
        case 'failed':
          return failed(outcome.message)
        case 'none':
          return failed('There is no sign-in to continue here. Please start again.')
      }
    })
  })().catch((err: unknown) => failed(describeError(err).message))
  return { el: card }
}

const FIELDS: Record<string, { label: string; type?: string; autocomplete: string }> = {
  email_address: { label: 'Email address', type: 'email', autocomplete: 'email' },
  username: { label: 'Username', autocomplete: 'username' },
  first_name: { label: 'First name', autocomplete: 'given-name' },
  last_name: { label: 'Last name', autocomplete: 'family-name' },
}

/**
 * `missing_requirements` after a provider: asks for the fields it did not give (Clerk's
 * "Fill in missing fields"), sends them with `signUp.update()`, and completes.
 */
function missingFieldsStep(
  card: HTMLElement,
  signUp: SignUpResource,
  activate: (sessionId: string) => Promise<void>,
): void {
  const known = signUp.missingFields.filter((f) => f in FIELDS)
  if (known.length !== signUp.missingFields.length)
    throw new FlowError('This sign-up needs a field this page can’t ask for.')
  const fields = known.map((name) => {
    const f = FIELDS[name] ?? { label: name, autocomplete: 'off' }
    return field({ name, required: true, ...f })
  })
  const form = h('form', { novalidate: true, 'data-latchkey-step': 'missing-fields' })
  const ctl = formController(form, { submitLabel: 'Continue' })
  form.append(...fields.map((f) => f.wrap), ctl.error, ctl.button)
  card.replaceChildren(
    h('h1', { class: 'lk-title' }, 'Fill in missing fields'),
    h('p', { class: 'lk-subtitle' }, 'Please fill in the remaining details to continue.'),
    form,
  )
  fields[0]?.input.focus()
  ctl.onSubmit(async (v) => {
    const done = await signUp.update({
      ...(v.email_address ? { emailAddress: v.email_address } : {}),
      ...(v.username ? { username: v.username } : {}),
      ...(v.first_name ? { firstName: v.first_name } : {}),
      ...(v.last_name ? { lastName: v.last_name } : {}),
    })
    if (done.status === 'complete' && done.createdSessionId) return activate(done.createdSessionId)
    if (!done.unverifiedFields.includes('email_address'))
      throw new FlowError('This sign-up needs another step. Please start again.')
    // Nobody proved the typed address: the code mailed to it does (Clerk's "Verify your email").
    await done.prepareEmailAddressVerification({ strategy: 'email_code' })
    proveEmail(
      card,
      {
        email: done.emailAddress ?? '',
        strategies: ['email_code'],
        sendCode: async () => {
          await done.prepareEmailAddressVerification({ strategy: 'email_code' })
        },
        attemptCode: async (code) => {
          const proved = await done.attemptEmailAddressVerification({ code })
          if (proved.status !== 'complete' || !proved.createdSessionId)
            throw new FlowError('This sign-up needs another step. Please start again.')
          await activate(proved.createdSessionId)
        },
        startLink: () => ({
          done: Promise.reject(new FlowError('Use the code from the mail.')),
          cancel: () => {},
        }),
        back: {
          label: 'Use another email address',
          run: () => missingFieldsStep(card, signUp, activate),
        },
      },
      'email_code',
    )
  })
}
