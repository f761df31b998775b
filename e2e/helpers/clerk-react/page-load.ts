import type { Page } from 'playwright-core'

/**
 * Clerk's SDKs end a sign-in, sign-up or sign-out by navigating to the after-URL (`/` here), a
 * full page load in an app without a router — and the old page may already show the new state
 * just before it goes. Runs `action` and resolves once that load happened, so the next step
 * meets the new page. The wait is long: under a full CI run a load of the dev server's modules
 * and Clerk's bundles has taken more than Playwright's default 30 s.
 */
export async function thenPageLoads(page: Page, action: () => Promise<void>): Promise<void> {
  const loaded = page.waitForEvent('load', { timeout: 90_000 })
  await action()
  await loaded
}
