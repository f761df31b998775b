import type { Page } from 'playwright-core'
import { expect } from 'vitest'

/**
 * Collects what a page did wrong — uncaught errors, and the steps the fixture's script records
 * in `window.steps` that failed — so a test fails on any of them, not only on what it looks at.
 */
export function watchPage(page: Page): { assertClean(): Promise<void> } {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)))
  return {
    async assertClean() {
      const steps = await page.evaluate(
        () =>
          (window as unknown as { steps?: { name: string; ok: boolean; error?: string }[] })
            .steps ?? [],
      )
      expect(steps.filter((s) => !s.ok)).toEqual([])
      expect(errors).toEqual([])
    },
  }
}
