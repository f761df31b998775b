import type { Latchkey } from '../latchkey.js'

export type View = 'sign-in' | 'sign-up' | 'user-profile' | 'user-button'

/** Where a component is shown: embedded on a page, or in the modal it can close and switch. */
export type Host = {
  lk: Latchkey
  inModal: boolean
  close(): void
  /** Shows another view in the same place (sign-in ⇄ sign-up in the modal). */
  switchTo(view: View): void
}

export type Rendered = { el: HTMLElement; destroy?(): void; focus?(): void }
