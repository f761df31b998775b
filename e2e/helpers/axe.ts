import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

type Violation = { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }

/**
 * Runs axe-core in the page and returns its serious and critical violations (as text, so a
 * failure names them). The page's CSP admits only same-origin scripts, so axe is served at a
 * same-origin URL the test answers itself (`page.route`), then added as a script tag.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const origin = new URL(page.url()).origin
  const url = `${origin}/dashboard/__axe-core.js`
  await page.route(url, (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript', body: AXE_SOURCE }),
  )
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url })
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe
    return (await axe.run()).violations
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
    )
}
