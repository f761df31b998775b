import type { Locator, Page } from 'playwright-core'
import { expect } from 'vitest'

/**
 * Clerk's own prebuilt UI (`@clerk/ui`: SignIn, SignUp, UserButton, UserProfile), driven as a
 * person does: by its fields' names and Clerk's `cl-` element classes, which are Clerk's public
 * styling API (the names `appearance.elements` takes) and so do not change between patch
 * releases. Works the same whether the UI came from `@clerk/ui` in the app's bundle, from
 * Latchkey's `/npm/@clerk/ui@1/…`, or inside clerk-js 5.
 *
 * Later flows extend this in a few lines: a step is `card` + `field(name).fill()` +
 * `continue()`; e.g. an email code is `await ui.field('code').fill(code)` once the factor's
 * card shows (check the input's name in Clerk's UI first).
 */
export class ClerkUI {
  readonly page: Page

  constructor(page: Page) {
    this.page = page
  }

  /** The visible sign-in or sign-up card (a modal or a mounted component). */
  get card(): Locator {
    return this.page.locator('.cl-signIn-root, .cl-signUp-root').first()
  }

  /**
   * One of Clerk's cards by its flow part, e.g. `signUp-emailCode`, `signIn-password`,
   * `signIn-forgotPassword` (Clerk puts the class on the card and on its box: the card).
   */
  part(name: string): Locator {
    return this.page.locator(`.cl-card.cl-${name}`)
  }

  /** A form field of the current card by its `name` (identifier, emailAddress, code, …). */
  field(name: string): Locator {
    return this.card.locator(`input[name="${name}"]`)
  }

  /** Clerk's primary button ("Continue"). */
  async continue(): Promise<void> {
    await this.card.locator('.cl-formButtonPrimary').click()
  }

  /** The error Clerk shows under a field or above the form (Clerk's own wording). */
  errorText(): Locator {
    return this.card.locator('.cl-formFieldErrorText, .cl-alertText').first()
  }

  /** Waits for a sign-in card (after `openSignIn()`, `mountSignIn()` or a sign-in button). */
  async waitForSignIn(): Promise<void> {
    await this.page.locator('.cl-signIn-root').waitFor({ state: 'visible' })
  }

  /** From the sign-in card, the footer link to sign up. */
  async goToSignUp(): Promise<void> {
    await this.page.locator('.cl-signIn-root .cl-footerActionLink').click()
    await this.page.locator('.cl-signUp-root').waitFor({ state: 'visible' })
  }

  /**
   * Fills Clerk's sign-up form with whatever of these fields the instance shows, and continues.
   * Fields the environment does not ask for are not shown, and not filled.
   */
  async signUp(user: {
    emailAddress: string
    password: string
    firstName?: string
    lastName?: string
    username?: string
  }): Promise<void> {
    await this.page.locator('.cl-signUp-root').waitFor({ state: 'visible' })
    const fields: [string, string | undefined][] = [
      ['firstName', user.firstName],
      ['lastName', user.lastName],
      ['username', user.username],
      ['emailAddress', user.emailAddress],
      ['password', user.password],
    ]
    for (const [name, value] of fields) {
      const input = this.field(name)
      if (value !== undefined && (await input.count()) > 0) await input.fill(value)
    }
    await this.continue()
  }

  /**
   * Signs in with a password: Clerk asks for the identifier first (its start card also holds a
   * password input, off-screen, for password managers: left alone), then the password on the
   * next card.
   */
  async signInWithPassword(identifier: string, password: string): Promise<void> {
    await this.waitForSignIn()
    await this.field('identifier').fill(identifier)
    await this.continue()
    await this.enterPassword(password)
  }

  /**
   * On Clerk's password card (`signIn-password`): types the password and continues. Clerk seeds
   * the field from the start card's autofill input once mounted, then focuses it; typing before
   * that is wiped, so this waits for the focus.
   */
  async enterPassword(password: string): Promise<void> {
    const input = this.page.locator('.cl-signIn-password input[name="password"]')
    await input.waitFor({ state: 'visible' })
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true)
    await input.fill(password)
    await this.continue()
  }

  /**
   * On any of Clerk's code cards (verify your email, email code, reset password code, a profile
   * address): types the code into Clerk's one-time-code input (input-otp's single input, named
   * by its aria-label), which submits itself once all six digits are in.
   */
  async enterCode(code: string, within: Locator = this.page.locator('body')): Promise<void> {
    const input = within.getByLabel('Enter verification code')
    await input.waitFor({ state: 'visible' })
    await input.fill(code)
  }

  /** The UserButton's avatar (mounted with `mountUserButton` or `<UserButton />`). */
  get userButton(): Locator {
    return this.page.locator('.cl-userButtonTrigger')
  }

  /** Opens the UserButton's menu; resolves once its actions show. */
  async openUserMenu(): Promise<Locator> {
    await this.userButton.click()
    const popover = this.page.locator('.cl-userButtonPopoverCard')
    await popover.waitFor({ state: 'visible' })
    return popover
  }

  /** UserButton → "Manage account": Clerk's UserProfile in a modal. */
  async openProfile(): Promise<Locator> {
    const menu = await this.openUserMenu()
    await menu.locator('.cl-userButtonPopoverActionButton__manageAccount').click()
    const profile = this.page.locator('.cl-userProfile-root')
    await profile.waitFor({ state: 'visible' })
    return profile
  }

  /** Closes the modal that is open (UserProfile, SignIn, SignUp). */
  async closeModal(): Promise<void> {
    await this.page.locator('.cl-modalCloseButton').first().click()
    await expect.poll(() => this.page.locator('.cl-modalCloseButton').count()).toBe(0)
  }

  /**
   * UserProfile → "Security" → "Add two-step verification" → "Authenticator application", then
   * "Can't scan QR code?": resolves with the `otpauth://` URI Clerk's card shows in its place
   * (the secret and the URI, each in a read-only copy field).
   */
  async startAuthenticatorApp(profile: Locator): Promise<string> {
    await profile.locator('.cl-navbarButton__security').click()
    await profile.getByRole('button', { name: 'Add two-step verification' }).click()
    await this.page.getByRole('menuitem', { name: 'Authenticator application' }).click()
    await profile.getByRole('button', { name: /^Can.t scan QR code\?$/ }).click()
    const uri = profile.locator('input[readonly]')
    await expect
      .poll(() => uri.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)))
      .toContainEqual(expect.stringMatching(/^otpauth:\/\//))
    const values = await uri.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))
    return values.find((v) => v.startsWith('otpauth://')) ?? ''
  }

  /**
   * After {@link startAuthenticatorApp}: "Continue", the authenticator's code, and Clerk's
   * success card ("Two-step verification is now enabled") with its backup codes; resolves
   * with that card's text.
   */
  async finishAuthenticatorApp(profile: Locator, code: string): Promise<string> {
    await profile.locator('.cl-formButtonPrimary').click()
    await this.enterCode(code, profile)
    const success = profile
      .locator('.cl-profilePage')
      .filter({ hasText: 'Two-step verification is now enabled' })
    await success.waitFor({ timeout: 30_000 })
    return (await success.textContent()) ?? ''
  }

  /** On a second-factor card: "Use another method", then the named method (e.g. "Use a backup code"). */
  async chooseAnotherMethod(name: string): Promise<void> {
    await this.card.getByText('Use another method').click()
    await this.card.getByRole('button', { name }).click()
  }

  /** On Clerk's backup-code card: types the code and continues. */
  async enterBackupCode(code: string): Promise<void> {
    await this.field('code').waitFor({ state: 'visible' })
    await this.field('code').fill(code)
    await this.continue()
  }

  /** UserButton → "Sign out". */
  async signOutFromMenu(): Promise<void> {
    const menu = await this.openUserMenu()
    await menu.locator('.cl-userButtonPopoverActionButton__signOut').click()
  }
}
