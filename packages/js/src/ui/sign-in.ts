import { describeError, FlowError } from '../errors.js'
import type { SignInProps } from '../latchkey.js'
import type { SignInFactor, SignInResource } from '../sign-in-resource.js'
import { field, formController, h, navigate, uid } from './dom.js'
import { type EmailProof, type EmailStrategy, proveEmail } from './email-proof.js'
import type { Host, Rendered } from './host.js'
import { linkLandingCard } from './link-landing.js'
import { passkeyButton, passkeysOn, signInWithPasskey } from './passkeys.js'
import { resetPasswordSteps } from './reset-password.js'
import { secondFactorStep } from './second-factor.js'
import { startSessionTask } from './session-tasks.js'
import { isSsoReturn, socialButtons, ssoReturnCard, ssoReturnUrl } from './social.js'
import { linkLanding, linkReturnUrl, loadedClient } from './verify.js'

/** After a sign-in or sign-up: go where asked, else close the modal, else stay. */
export function finish(host: Host, props: { redirectUrl?: string; forceRedirectUrl?: string }) {
  const to = props.forceRedirectUrl ?? props.redirectUrl
  if (to) navigate(to)
  else if (host.inModal) host.close()
}

/**
 * A finished sign-in: its session becomes active, then {@link finish}. One that waits for a
 * second factor shows that step in `card` first.
 */
export async function completeSignIn(
  host: Host,
  props: SignInProps,
  signIn: SignInResource,
  card: HTMLElement,
): Promise<void> {
  if (signIn.status === 'needs_second_factor') return secondFactorStep(host, props, card, signIn)
  if (signIn.status !== 'complete' || !signIn.createdSessionId)
    throw new FlowError('This account needs another sign-in step, which is not supported yet.')
  if (await startSessionTask(host, card, signIn.createdSessionId, () => finish(host, props))) return
  await host.lk.setActive({ session: signIn.createdSessionId })
  finish(host, props)
}

/** What the instance offers beside the password (`/v1/environment`), read defensively. */
function offers(lk: Host['lk']) {
  const attrs = lk.environment?.user_settings.attributes
  const emailFactors = attrs?.email_address?.first_factors ?? ['email_code', 'email_link']
  const password = attrs?.password?.enabled ?? true
  const all = lk.environment?.auth_config?.first_factors
  return {
    password,
    email: (['email_code', 'email_link'] as const).filter((s) => emailFactors.includes(s)),
    reset: password && (all ? all.includes('reset_password_email_code') : true),
    /** An enterprise connection is active: the identifier is sent alone first (its domain's IdP). */
    enterprise: lk.environment?.user_settings.enterprise_sso?.enabled === true,
  }
}

/**
 * Identifier first, for enterprise SSO: a sign-in whose identifier's domain has a connection
 * offers `enterprise_sso` (only), and goes on to that IdP, coming back to this page as a social
 * connection does. False when it does not offer it.
 */
async function toEnterpriseIdp(host: Host, signIn: SignInResource): Promise<boolean> {
  if (!signIn.supportedFirstFactors.some((f) => f.strategy === 'enterprise_sso')) return false
  const back = ssoReturnUrl(host)
  await signIn.authenticateWithRedirect({
    strategy: 'enterprise_sso',
    redirectUrl: back,
    redirectUrlComplete: back,
    continueSignIn: true,
  })
  return true
}

/** The page is on its way to the IdP: nothing more happens here. */
const leaving = () => new Promise<never>(() => {})

const linkButton = (label: string) => h('button', { type: 'button', class: 'lk-link' }, label)

export function renderSignIn(host: Host, props: SignInProps): Rendered {
  const { lk } = host
  const landing = linkLanding()
  if (landing) return linkLandingCard(host, props, landing, 'sign-in')
  if (isSsoReturn()) return ssoReturnCard(host, props)
  const offer = offers(lk)
  const titleId = uid('title')
  const identifier = field({
    name: 'identifier',
    label: 'Email address',
    type: 'text',
    inputmode: 'email',
    autocomplete: 'username',
    required: true,
    value: props.initialValues?.emailAddress ?? '',
  })
  const password = field({
    name: 'password',
    label: 'Password',
    type: 'password',
    autocomplete: 'current-password',
    // With enterprise SSO, an address of a connection's domain needs no password here.
    required: !offer.enterprise,
  })
  const form = h('form', { novalidate: true, 'aria-labelledby': titleId })
  const ctl = formController(form, { submitLabel: 'Continue' })
  const forgot = linkButton('Forgot password?')
  const byEmail = offer.email.map((s) =>
    h(
      'button',
      { type: 'button', class: 'lk-button lk-secondary lk-wide-button' },
      s === 'email_code' ? 'Email me a code' : 'Email me a link',
    ),
  )
  form.append(
    identifier.wrap,
    ...(offer.password ? [password.wrap] : []),
    offer.reset ? h('p', { class: 'lk-forgot' }, forgot) : '',
    ctl.error,
    ctl.button,
    byEmail.length && offer.password ? h('p', { class: 'lk-divider' }, 'or') : '',
    ...(offer.password ? byEmail : []),
  )
  const passkey = passkeysOn(lk) ? passkeyButton() : null
  // One "or" before the alternatives: the email buttons' when they are shown.
  if (passkey)
    form.append(
      byEmail.length && offer.password ? '' : h('p', { class: 'lk-divider' }, 'or'),
      passkey,
    )

  const signUpUrl =
    props.signUpUrl ??
    lk.buildSignUpUrl(props.redirectUrl ? { redirectUrl: props.redirectUrl } : {})
  const footer = h(
    'p',
    { class: 'lk-footer' },
    'Don’t have an account? ',
    host.inModal
      ? h(
          'button',
          { type: 'button', class: 'lk-link', onclick: () => host.switchTo('sign-up') },
          'Sign up',
        )
      : h('a', { class: 'lk-link', href: signUpUrl }, 'Sign up'),
  )
  const appName = lk.environment?.display_config.application_name ?? 'the app'
  const el = h(
    'div',
    { class: 'lk-card', 'data-latchkey': 'sign-in' },
    h('h1', { id: titleId, class: 'lk-title' }, 'Sign in'),
    h('p', { class: 'lk-subtitle' }, `to continue to ${appName}`),
    socialButtons(host, 'sign-in', (m) => ctl.show(m)) ?? '',
    form,
    footer,
  )
  let step: { destroy(): void } | undefined
  const back = { label: 'Use another method', run: () => host.switchTo('sign-in') }

  /** A sign-in for the typed identifier, and the factor of `strategy` it offers. */
  const begin = async (strategy: string) => {
    const typed = identifier.input.value.trim()
    if (!typed) throw new FlowError('Enter your email address.', 'identifier')
    const signIn = await loadedClient(lk).signIn.create({ identifier: typed })
    if (await toEnterpriseIdp(host, signIn)) return leaving()
    const factor = signIn.supportedFirstFactors.find((f) => f.strategy === strategy)
    if (!factor)
      throw new FlowError('This account can’t sign in that way. Use another method.', 'identifier')
    return { signIn, factor }
  }

  /** Runs a button's step with the form's error line, busy state and focus. */
  const run = (button: HTMLButtonElement, fn: () => Promise<void>) => {
    button.addEventListener('click', () => {
      ctl.clear()
      button.disabled = true
      fn()
        .catch((err: unknown) => {
          const d = describeError(err)
          ctl.show(d.message, d.field)
        })
        .finally(() => {
          button.disabled = false
        })
    })
  }

  const signInByEmail = async (strategy: EmailStrategy) => {
    const { signIn, factor } = await begin(strategy)
    const strategies = offer.email.filter((s) =>
      signIn.supportedFirstFactors.some((f) => f.strategy === s),
    )
    step = await emailSignInSteps(host, props, el, { signIn, factor, strategy, strategies, back })
  }

  byEmail.forEach((button, i) => {
    const strategy = offer.email[i]
    if (strategy) run(button, () => signInByEmail(strategy))
  })
  run(forgot, async () => {
    const { signIn, factor } = await begin('reset_password_email_code')
    step = await resetPasswordSteps(host, props, el, signIn, factor, back)
  })

  if (passkey) run(passkey, () => signInWithPasskey(host, props, el, identifier.input.value.trim()))

  ctl.onSubmit(async (v) => {
    const first = offer.email[0]
    if (offer.enterprise) {
      // The identifier alone first: its domain may send it to an IdP instead of a password.
      const signIn = await loadedClient(lk).signIn.create({ identifier: v.identifier ?? '' })
      if (await toEnterpriseIdp(host, signIn)) return leaving()
      if (!offer.password && first) return signInByEmail(first)
      if (!v.password) throw new FlowError('Enter your password.', 'password')
      const attempt = await signIn.attemptFirstFactor({
        strategy: 'password',
        password: v.password,
      })
      return completeSignIn(host, props, attempt, el)
    }
    if (!offer.password && first) return signInByEmail(first)
    const attempt = await loadedClient(lk).signIn.create({
      identifier: v.identifier ?? '',
      password: v.password ?? '',
      strategy: 'password',
    })
    await completeSignIn(host, props, attempt, el)
  })

  return {
    el,
    focus: () => (identifier.input.value ? password.input : identifier.input).focus(),
    destroy: () => step?.destroy(),
  }
}

/** Sign-in by a code or a link to the address `factor` names (the "Check your email" steps). */
async function emailSignInSteps(
  host: Host,
  props: SignInProps,
  card: HTMLElement,
  o: {
    signIn: SignInResource
    factor: SignInFactor
    strategy: EmailStrategy
    strategies: EmailStrategy[]
    back: { label: string; run(): void }
  },
): Promise<{ destroy(): void }> {
  const { signIn } = o
  const id = o.factor.emailAddressId ? { emailAddressId: o.factor.emailAddressId } : {}
  if (o.strategy === 'email_code') await signIn.prepareFirstFactor({ strategy: o.strategy, ...id })
  const proof: EmailProof = {
    email: o.factor.safeIdentifier ?? signIn.identifier ?? '',
    strategies: o.strategies,
    sendCode: async () => {
      await signIn.prepareFirstFactor({ strategy: 'email_code', ...id })
    },
    attemptCode: async (code) =>
      completeSignIn(
        host,
        props,
        await signIn.attemptFirstFactor({ strategy: 'email_code', code }),
        card,
      ),
    startLink: () => {
      const flow = signIn.createEmailLinkFlow()
      const done = flow.startEmailLinkFlow({ ...id, redirectUrl: linkReturnUrl() }).then((s) => {
        if (s.status !== 'complete' && s.status !== 'needs_second_factor')
          throw new FlowError('This link has expired or was already used. Ask for a new one.')
        return completeSignIn(host, props, s, card)
      })
      return { done, cancel: () => flow.cancelEmailLinkFlow() }
    },
    back: o.back,
  }
  return proveEmail(card, proof, o.strategy)
}
