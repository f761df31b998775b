import type { Page } from 'playwright-core'

/**
 * The few steps through Clerk's own UI (its modal sign-up and sign-in, UserButton, UserProfile)
 * that the React tests need, found by role and label as a user finds them.
 */
export const clerkUi = {
  async signUp(page: Page, user: { email: string; password: string }) {
    await page.getByRole('button', { name: 'Sign up', exact: true }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Email address').fill(user.email)
    await dialog.getByLabel('Password', { exact: true }).fill(user.password)
    await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
  },

  async signIn(page: Page, user: { email: string; password: string }) {
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel(/Email address/).fill(user.email)
    await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
    await dialog.getByLabel('Password', { exact: true }).fill(user.password)
    await dialog.getByRole('button', { name: 'Continue', exact: true }).click()
  },

  /** The UserButton's trigger: present only while Clerk's UI shows a signed-in user. */
  userButton: (page: Page) => page.getByRole('button', { name: 'Open user menu' }),

  /**
   * An action of the UserButton's popover: menu items in clerk-js 5's UI, buttons of the
   * "Account panel" dialog in `@clerk/ui` 1.
   */
  userAction: (page: Page, name: string) =>
    page
      .getByRole('menuitem', { name })
      .or(page.getByRole('dialog', { name: 'Account panel' }).getByRole('button', { name })),

  /** UserButton → "Manage account": the UserProfile modal; returns its dialog. */
  async openProfile(page: Page) {
    await clerkUi.userButton(page).click()
    await clerkUi.userAction(page, 'Manage account').click()
    return page.getByRole('dialog')
  },

  async closeModal(page: Page) {
    await page.getByRole('button', { name: 'Close modal' }).click()
  },

  async signOut(page: Page) {
    await clerkUi.userButton(page).click()
    await clerkUi.userAction(page, 'Sign out').click()
  },
}
