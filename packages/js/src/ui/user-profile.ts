import { describeError } from '../errors.js'
import type { UserProfileProps } from '../latchkey.js'
import type { SessionWithActivitiesResource } from '../resources.js'
import { field, formController, h, uid } from './dom.js'
import type { Host, Rendered } from './host.js'
import { passkeysOn } from './passkeys.js'
import { connectedAccountsSection, socialProviders } from './profile-connected-accounts.js'
import { emailAddressesSection } from './profile-emails.js'
import { twoStepSection } from './profile-mfa.js'
import { passkeysSection } from './profile-passkeys.js'
import { withReverification } from './reverify.js'

/** "just now", "5 minutes ago", "yesterday", then a date: how recent a session's activity is. */
function when(d: Date | null): string {
  if (!d) return 'unknown'
  const seconds = Math.round((d.getTime() - Date.now()) / 1000)
  if (seconds > -60) return 'just now'
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  const ago = Math.abs(seconds)
  if (ago < 3600) return rtf.format(Math.round(seconds / 60), 'minute')
  if (ago < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour')
  if (ago < 7 * 86_400) return rtf.format(Math.round(seconds / 86_400), 'day')
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' })
}

function deviceName(s: SessionWithActivitiesResource): string {
  const a = s.latestActivity
  if (a?.browser_name) {
    return (
      [a.browser_name, a.browser_version].filter(Boolean).join(' ') +
      (a.device_type ? ` on ${a.device_type}` : '')
    )
  }
  return 'Browser session'
}

/**
 * The account page: edit name, manage email addresses, change password, set up two-step
 * verification, see and revoke the other sessions, sign out.
 * Each section is a labelled region with its own live status line.
 */
export function renderUserProfile(host: Host, props: UserProfileProps): Rendered {
  const { lk } = host
  const titleId = uid('title')
  const el = h('div', { class: 'lk-card lk-wide', 'data-latchkey': 'user-profile' })
  let sessionsToken = 0
  let emails: ReturnType<typeof emailAddressesSection> | undefined

  const section = (title: string, ...children: (Node | null)[]) => {
    const id = uid('section')
    return h(
      'section',
      { class: 'lk-section', 'aria-labelledby': id },
      h('h2', { id }, title),
      ...children,
    )
  }

  const draw = () => {
    const user = lk.user
    el.replaceChildren()
    if (!user) {
      el.append(
        h('h1', { id: titleId, class: 'lk-title' }, 'Account'),
        h(
          'p',
          {},
          'You’re signed out. ',
          h('a', { class: 'lk-link', href: lk.buildSignInUrl() }, 'Sign in'),
        ),
      )
      return
    }

    // Profile details
    const first = field({
      name: 'first_name',
      label: 'First name',
      autocomplete: 'given-name',
      value: user.firstName ?? '',
    })
    const last = field({
      name: 'last_name',
      label: 'Last name',
      autocomplete: 'family-name',
      value: user.lastName ?? '',
    })
    const profileForm = h('form', { novalidate: true })
    const profileCtl = formController(profileForm, { submitLabel: 'Save' })
    profileCtl.button.classList.add('lk-secondary')
    const profileStatus = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
    profileForm.append(
      h('div', { class: 'lk-row' }, first.wrap, last.wrap),
      profileCtl.error,
      profileCtl.button,
      profileStatus,
    )
    profileCtl.onSubmit(async (v) => {
      profileStatus.textContent = ''
      await user.update({ firstName: v.first_name ?? '', lastName: v.last_name ?? '' })
      profileStatus.textContent = 'Profile saved.'
    })

    // Password
    const current = field({
      name: 'current_password',
      label: 'Current password',
      type: 'password',
      autocomplete: 'current-password',
      required: user.passwordEnabled,
    })
    // With reverification on, a recent step-up stands in for the current password (as Clerk's).
    const askCurrent = user.passwordEnabled && !lk.environment?.auth_config?.reverification
    const next = field({
      name: 'new_password',
      label: 'New password',
      type: 'password',
      autocomplete: 'new-password',
      required: true,
    })
    const signOutOthers = h('input', {
      type: 'checkbox',
      id: uid('others'),
      name: 'sign_out_of_other_sessions',
      checked: true,
    })
    const passwordForm = h('form', { novalidate: true })
    const passwordCtl = formController(passwordForm, {
      submitLabel: 'Update password',
      aliases: { password: 'new_password' },
    })
    passwordCtl.button.classList.add('lk-secondary')
    const passwordStatus = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
    passwordForm.append(
      ...(askCurrent ? [current.wrap] : []),
      next.wrap,
      h(
        'div',
        { class: 'lk-check' },
        signOutOthers,
        h('label', { for: signOutOthers.id }, 'Sign out of all other devices'),
      ),
      passwordCtl.error,
      passwordCtl.button,
      passwordStatus,
    )
    passwordCtl.onSubmit(async (v) => {
      passwordStatus.textContent = ''
      await withReverification(lk, passwordForm, () =>
        user.updatePassword({
          ...(v.current_password ? { currentPassword: v.current_password } : {}),
          newPassword: v.new_password ?? '',
          signOutOfOtherSessions: v.sign_out_of_other_sessions === 'true',
        }),
      )
      current.input.value = ''
      next.input.value = ''
      passwordStatus.textContent = 'Password updated.'
    })

    // Sessions
    const list = h('ul', { class: 'lk-list', 'aria-label': 'Active devices' })
    const sessionsStatus = h('p', { class: 'lk-status', role: 'status', 'aria-live': 'polite' })
    const sessionsError = h('p', { class: 'lk-error', role: 'alert' })
    const loadSessions = async () => {
      const token = ++sessionsToken
      try {
        const sessions = await user.getSessions()
        if (token !== sessionsToken) return
        list.replaceChildren(
          ...sessions.map((s) => {
            const current = s.id === lk.session?.id
            const label = deviceName(s)
            const revoke = h(
              'button',
              {
                type: 'button',
                class: 'lk-button lk-danger',
                'aria-label': `Revoke ${label} (last active ${when(s.lastActiveAt)})`,
              },
              'Revoke',
            )
            revoke.addEventListener('click', async () => {
              revoke.disabled = true
              sessionsError.textContent = ''
              try {
                await s.revoke()
                sessionsStatus.textContent = `${label} was signed out.`
                await loadSessions()
              } catch (err) {
                sessionsError.textContent = describeError(err).message
                revoke.disabled = false
              }
            })
            return h(
              'li',
              { 'data-session-id': s.id },
              h(
                'div',
                {},
                h(
                  'div',
                  {},
                  label,
                  current ? h('span', { class: 'lk-badge' }, 'This device') : null,
                ),
                h(
                  'div',
                  { class: 'lk-muted' },
                  [s.latestActivity?.ip_address, `last active ${when(s.lastActiveAt)}`]
                    .filter(Boolean)
                    .join(' · '),
                ),
              ),
              current ? null : revoke,
            )
          }),
        )
      } catch (err) {
        sessionsError.textContent = describeError(err).message
      }
    }
    void loadSessions()

    const signOut = h('button', { type: 'button', class: 'lk-button lk-secondary' }, 'Sign out')
    signOut.addEventListener('click', () => {
      void lk.signOut(props.afterSignOutUrl ? { redirectUrl: props.afterSignOutUrl } : {})
    })

    emails?.destroy()
    emails = emailAddressesSection(lk)

    el.append(
      h('h1', { id: titleId, class: 'lk-title' }, 'Account'),
      h('p', { class: 'lk-subtitle' }, 'Manage your profile, password and devices.'),
      section('Profile', profileForm),
      section('Email addresses', emails.el),
      section('Password', passwordForm),
      section('Two-step verification', twoStepSection(lk).el),
      ...(passkeysOn(lk) || user.passkeys.length
        ? [section('Passkeys', passkeysSection(lk).el)]
        : []),
      ...(socialProviders(lk).length || user.externalAccounts.length
        ? [section('Connected accounts', connectedAccountsSection(lk).el)]
        : []),
      section('Active devices', list, sessionsError, sessionsStatus),
      section('Sign out', signOut),
    )
  }

  draw()
  let lastUser = lk.user?.id
  const off = lk.addListener(({ user }) => {
    // Redraw when who is signed in changes; a profile save keeps the form, its focus and status.
    if (user?.id === lastUser) return
    lastUser = user?.id
    draw()
  })
  return {
    el,
    destroy: () => {
      off()
      emails?.destroy()
    },
    focus: () => el.querySelector<HTMLInputElement>('input')?.focus(),
  }
}
