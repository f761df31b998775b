import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Once before every test file: build the deployable (packages/server/dist, well under a second)
 * so the process tests run the server the way `npm start` and the container do.
 */
export default function setup(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('./packages/server/build.mjs', import.meta.url))],
    {
      stdio: 'inherit',
    },
  )
}
