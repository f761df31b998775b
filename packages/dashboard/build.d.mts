/** packages/server/dist/dashboard/: where the server serves the dashboard from. */
export declare const DEFAULT_OUT_DIR: string
/** Whether `outDir` lacks a build, or holds one older than the dashboard's sources. */
export declare function dashboardIsStale(outDir?: string): boolean
/** Builds the dashboard into `outDir` (swapped in whole); with `ifStale`, only when stale. */
export declare function buildDashboard(opts?: {
  outDir?: string
  ifStale?: boolean
}): Promise<boolean>
