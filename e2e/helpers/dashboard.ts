import { buildDashboard } from '@latchkey/dashboard/build'

let built: Promise<boolean> | undefined

/**
 * Builds the dashboard into packages/server/dist/dashboard/ (the folder the server serves from
 * source too) when it is missing or older than packages/dashboard's sources, so the browser
 * tests always test the current sources. Once per test file; a current build costs a few stats.
 */
export function ensureDashboardBuilt(): Promise<boolean> {
  built ??= buildDashboard({ ifStale: true })
  return built
}
