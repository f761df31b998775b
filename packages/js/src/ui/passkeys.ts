import { browserSupportsWebAuthn } from '@simplewebauthn/browser'
import { FlowError } from '../errors.js'
import type { Latchkey, SignInProps } from '../latchkey.js'
import { h } from './dom.js'
import type { Host } from './host.js'
import { completeSignIn } from './sign-in.js'
import { loadedClient } from './verify.js'

/** Whether the instance lets users sign in with passkeys (`/v1/environment`) and the browser can. */
export function passkeysOn(lk: Latchkey): boolean {
  const env = lk.environment
  const on =
    env?.user_settings.attributes?.passkey?.enabled === true ||
    (env?.auth_config?.first_factors ?? []).includes('passkey')
  return on && browserSupportsWebAuthn()
}

/** The sign-in card's "Sign in with a passkey" button. */
export const passkeyButton = () =>
  h(
    'button',
    { type: 'button', class: 'lk-button lk-secondary lk-wide-button', 'data-passkey': true },
    'Sign in with a passkey',
  )

/**
 * Signs in with a passkey. No identifier typed: Clerk's discoverable flow, the browser offers the
 * passkeys it holds for this site. An identifier typed: that account's passkeys only, when it has
 * one (`supported_first_factors` lists `passkey`).
 */
export async function signInWithPasskey(
  host: Host,
  props: SignInProps,
  card: HTMLElement,
  identifier: string,
): Promise<void> {
  const signIn = loadedClient(host.lk).signIn
  let done: Awaited<ReturnType<typeof signIn.authenticateWithPasskey>>
  if (!identifier) done = await signIn.authenticateWithPasskey({ flow: 'discoverable' })
  else {
    const started = await signIn.create({ identifier })
    if (!started.supportedFirstFactors.some((f) => f.strategy === 'passkey'))
      throw new FlowError(
        'This account has no passkey yet. Sign in another way, then add one in your account.',
        'identifier',
      )
    done = await started.authenticateWithPasskey()
  }
  await completeSignIn(host, props, done, card)
}
