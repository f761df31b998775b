import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

/** The SDK packages' export condition for their TypeScript source (see docs/ARCHITECTURE.md). */
const SOURCE = '@latchkey/source'

export default defineConfig({
  // Tests run the workspace packages from source, so `npm test` needs no `npm run build` first.
  resolve: { conditions: [SOURCE, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.{ts,tsx}',
      'e2e/**/*.test.ts',
    ],
    // Each file boots real servers on SQLite and PostgreSQL; two cores, so keep files parallel
    // but bounded.
    fileParallelism: true,
    globalSetup: ['./vitest.setup.ts'],
    maxWorkers: 2,
    testTimeout: 30_000,
    // A browser waiting on a password hash on two loaded cores can take seconds, not one.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    allowOnly: false,
    // CI also writes a JSON report to print a one-line summary.
    reporters: process.env.LATCHKEY_VITEST_JSON ? ['default', 'json'] : ['default'],
    ...(process.env.LATCHKEY_VITEST_JSON
      ? { outputFile: { json: process.env.LATCHKEY_VITEST_JSON } }
      : {}),
  },
})
