import type { Page } from 'playwright-core'
import { expect } from 'vitest'

/** The console message a fixture's script writes for each step (see fixtures/clerk-*). */
export const STEP_MESSAGE = 'latchkey-step'

type Step = { name: string; ok: boolean; error?: string }

/**
 * Collects what a page did wrong — uncaught errors, and the steps of the fixture's script that
 * failed — so a test fails on any of them, not only on what it looks at. Steps arrive as console
 * messages, so those of a page Clerk navigated away from are kept too.
 */
export function watchPage(page: Page): { steps: Step[]; assertClean(): void } {
  const errors: string[] = []
  const steps: Step[] = []
  page.on('pageerror', (e) => errors.push(String(e.stack ?? e)))
  page.on('console', (m) => {
    const text = m.text()
    if (text.startsWith(`${STEP_MESSAGE} `))
      steps.push(JSON.parse(text.slice(STEP_MESSAGE.length + 1)) as Step)
  })
  return {
    steps,
    assertClean() {
      expect(steps.filter((s) => !s.ok)).toEqual([])
      expect(steps.length).toBeGreaterThan(0)
      expect(errors).toEqual([])
    },
  }
}
