import type { EmailAddressResource } from '../email-address-resource.js'
import { describeError } from '../errors.js'
import type { Latchkey } from '../latchkey.js'
import { field, formController, h, uid } from './dom.js'
import { withReverification } from './reverify.js'
import { Cooldown, codeForm } from './verify.js'

/**
 * The profile's "Email addresses": each address with its state, "Verify" (a code to it),
 * "Make primary" (verified ones only, as the server insists) and "Remove"; then "Add an email
 * address", which sends the code at once. One live status line and one alert for the section.
 */
export function emailAddressesSection(lk: Latchkey): { el: HTMLElement; destroy(): void } {
  const el = h('div', { class: 'lk-emails' })
  const status = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
  const alert = h('p', { class: 'lk-error', role: 'alert' })
  const cooldown = new Cooldown()
  let verifying: string | undefined
  let focusAfter: ((root: HTMLElement) => HTMLElement | null) | undefined

  /** Runs an action of the section: its error in the alert, the list drawn again after. */
  const act = async (fn: () => Promise<string | undefined>) => {
    alert.textContent = ''
    status.textContent = ''
    try {
      const said = await fn()
      if (said) status.textContent = said
    } catch (err) {
      cooldown.fromError(err)
      alert.textContent = describeError(err).message
    }
    draw()
  }

  const sendCode = (e: EmailAddressResource) =>
    act(async () => {
      await e.prepareVerification({ strategy: 'email_code' })
      cooldown.start()
      verifying = e.id
      focusAfter = (root) => root.querySelector('input[name="code"]')
      return `We sent a code to ${e.emailAddress}.`
    })

  const button = (label: string, aria: string, onClick: () => void, danger = false) => {
    const b = h(
      'button',
      {
        type: 'button',
        class: `lk-button ${danger ? 'lk-danger' : 'lk-secondary'}`,
        'aria-label': aria,
      },
      label,
    )
    b.addEventListener('click', () => {
      b.disabled = true
      onClick()
    })
    return b
  }

  const row = (e: EmailAddressResource, primaryId: string | null) => {
    const primary = e.id === primaryId
    const actions = h('div', { class: 'lk-actions' })
    if (!e.verified)
      actions.append(button('Verify', `Verify ${e.emailAddress}`, () => void sendCode(e)))
    if (e.verified && !primary)
      actions.append(
        button('Make primary', `Make ${e.emailAddress} primary`, () =>
          act(async () => {
            const user = lk.user
            if (user)
              await withReverification(lk, el, () => user.update({ primaryEmailAddressId: e.id }))
            focusAfter = (root) => root.querySelector(`[data-email-id="${e.id}"]`)
            return `${e.emailAddress} is now your primary email address.`
          }),
        ),
      )
    if (!primary)
      actions.append(
        button(
          'Remove',
          `Remove ${e.emailAddress}`,
          () =>
            act(async () => {
              await e.destroy()
              if (verifying === e.id) verifying = undefined
              focusAfter = (root) => root.querySelector('input[name="email_address"]')
              return `${e.emailAddress} was removed.`
            }),
          true,
        ),
      )
    return h(
      'li',
      { 'data-email-id': e.id, tabindex: -1 },
      h(
        'span',
        {},
        e.emailAddress,
        primary ? h('span', { class: 'lk-badge' }, 'Primary') : null,
        h('span', { class: 'lk-badge' }, e.verified ? 'Verified' : 'Unverified'),
      ),
      actions,
    )
  }

  const verifyPanel = (e: EmailAddressResource) => {
    const titleId = uid('verify')
    const cancel = h('button', { type: 'button', class: 'lk-link' }, 'Cancel')
    cancel.addEventListener('click', () => {
      verifying = undefined
      draw()
    })
    const step = codeForm({
      titleId,
      submitLabel: 'Verify',
      cooldown,
      attempt: async (code) => {
        await e.attemptVerification({ code })
        verifying = undefined
        status.textContent = `${e.emailAddress} is verified.`
        focusAfter = (root) => root.querySelector(`[aria-label="Make ${e.emailAddress} primary"]`)
        draw()
      },
      resend: async () => {
        await e.prepareVerification({ strategy: 'email_code' })
      },
      alternatives: [h('span', {}, ' · '), cancel],
    })
    return h(
      'div',
      { class: 'lk-inline-form' },
      h('p', { id: titleId }, `Enter the 6-digit code we sent to ${e.emailAddress}.`),
      step.form,
    )
  }

  const addForm = () => {
    const email = field({
      name: 'email_address',
      label: 'Add an email address',
      type: 'email',
      autocomplete: 'email',
      required: true,
    })
    const form = h('form', { novalidate: true, class: 'lk-inline-form' })
    const ctl = formController(form, { submitLabel: 'Add email address' })
    ctl.button.classList.add('lk-secondary')
    form.append(email.wrap, ctl.error, ctl.button)
    ctl.onSubmit(async (v) => {
      const user = lk.user
      if (!user) return
      const address = (v.email_address ?? '').trim()
      const added = await withReverification(lk, form, () =>
        user.createEmailAddress({ email: address }),
      )
      await sendCode(added)
    })
    return form
  }

  const draw = () => {
    cooldown.detach()
    const user = lk.user
    if (!user) return el.replaceChildren()
    const pending = user.emailAddresses.find((e) => e.id === verifying)
    el.replaceChildren(
      h(
        'ul',
        { class: 'lk-list', 'aria-label': 'Email addresses' },
        ...user.emailAddresses.map((e) => row(e, user.primaryEmailAddressId)),
      ),
      pending ? verifyPanel(pending) : addForm(),
      alert,
      status,
    )
    const target = focusAfter?.(el)
    focusAfter = undefined
    target?.focus()
  }

  draw()
  return { el, destroy: () => cooldown.stop() }
}
