import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium (DESIGN.md §5); `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium'

/** Browser tests skip, visibly, on a machine without Chromium. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH)
if (!HAVE_CHROMIUM) {
  console.warn(
    `\n  ⚠ Chromium is not at ${CHROMIUM_PATH}: skipping the browser tests (apt-get install -y chromium).\n`,
  )
}

/** Headless Chromium with the flags this machine's closed network needs (and any `extraArgs`). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      ...extraArgs,
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export { freePort } from '../../packages/server/test/helpers/test-server.js'
