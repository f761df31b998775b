/**
 * The one-`<script>`-tag build: defines `window.Latchkey` (and `window.Clerk`, the same class,
 * unless Clerk's own script is on the page). A script tag with `data-publishable-key` also creates
 * and loads an instance as `window.latchkey`, and mounts a component into every element with
 * `data-latchkey-mount="sign-in|sign-up|user-button|user-profile"` (its `data-redirect-url`,
 * `data-sign-in-url`, `data-sign-up-url` and `data-after-sign-out-url` become the props).
 */
import { Latchkey } from './index.js'

declare global {
  interface Window {
    Latchkey: typeof Latchkey
    Clerk: typeof Latchkey
    latchkey?: Latchkey
  }
}

window.Latchkey = Latchkey
window.Clerk ??= Latchkey

function mountDeclared(lk: Latchkey): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-latchkey-mount]')) {
    const d = el.dataset
    const props = {
      ...(d.redirectUrl ? { redirectUrl: d.redirectUrl } : {}),
      ...(d.signInUrl ? { signInUrl: d.signInUrl } : {}),
      ...(d.signUpUrl ? { signUpUrl: d.signUpUrl } : {}),
      ...(d.afterSignOutUrl ? { afterSignOutUrl: d.afterSignOutUrl } : {}),
    }
    switch (d.latchkeyMount) {
      case 'sign-in':
        lk.mountSignIn(el, props)
        break
      case 'sign-up':
        lk.mountSignUp(el, props)
        break
      case 'user-button':
        lk.mountUserButton(el, props)
        break
      case 'user-profile':
        lk.mountUserProfile(el, props)
        break
    }
  }
}

const script = document.currentScript as HTMLScriptElement | null
const key = script?.dataset.publishableKey
if (key) {
  const lk = new Latchkey(key)
  window.latchkey = lk
  void lk.load()
  if (document.readyState === 'loading')
    document.addEventListener('DOMContentLoaded', () => mountDeclared(lk))
  else mountDeclared(lk)
}
