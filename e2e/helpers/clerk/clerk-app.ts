import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type PluginOption, type ViteDevServer } from 'vite'

/** The relative proxy path the docs recommend for local development over http. */
export const CLERK_PROXY_PATH = '/__clerk'

export type ClerkApp = {
  /** The app's origin (add it to LATCHKEY_ALLOWED_ORIGINS). */
  url: string
  vite: ViteDevServer
  close(): Promise<void>
}

/**
 * A Vite dev server for an app written against Clerk's own packages (`root`, e.g.
 * e2e/fixtures/clerk-vanilla/), set up as docs/MOVE-FROM-CLERK.md tells a newcomer: the
 * publishable key in `VITE_CLERK_PUBLISHABLE_KEY`, `VITE_CLERK_PROXY_URL=/__clerk`, and Vite's
 * `server.proxy` forwarding `/__clerk/*` to Latchkey with the prefix removed. Clerk's SDKs then
 * reach the Frontend API and the `/npm/@clerk/…` bundles on the app's own origin, over http.
 */
export async function startClerkApp(opts: {
  root: URL
  port: number
  latchkeyUrl: string
  publishableKey: string
  /** `false`: no proxy, Clerk's SDKs go to the host in the key (production-style, https). */
  proxyUrl?: string | false
  env?: Record<string, string>
  /** Serve the app over https with this certificate (production-style tests). */
  https?: { key: string; cert: string }
  /** The host the app is served as (default 127.0.0.1); it listens on 127.0.0.1. */
  host?: string
  /** More Vite plugins (e.g. `@vitejs/plugin-react` for a React app). */
  plugins?: PluginOption[]
}): Promise<ClerkApp> {
  const proxyUrl = opts.proxyUrl === undefined ? CLERK_PROXY_PATH : opts.proxyUrl
  // Each app pre-bundles Clerk's packages into a cache of its own (tests run side by side).
  const cacheDir = mkdtempSync(join(tmpdir(), 'clerk-app-vite-'))
  const env: Record<string, string> = {
    VITE_CLERK_PUBLISHABLE_KEY: opts.publishableKey,
    ...(proxyUrl ? { VITE_CLERK_PROXY_URL: proxyUrl } : {}),
    // Where script-tag pages load Clerk's bundles from: the proxy path, or Latchkey itself.
    VITE_CLERK_SCRIPT_BASE: proxyUrl || opts.latchkeyUrl,
    ...opts.env,
  }
  const vite = await createServer({
    root: fileURLToPath(opts.root),
    configFile: false,
    envFile: false,
    cacheDir,
    logLevel: 'warn',
    appType: 'spa',
    // The same values for HTML pages, as Vite's own %VITE_…% replacement gives them from .env.
    plugins: [
      ...(opts.plugins ?? []),
      {
        name: 'clerk-app-env',
        transformIndexHtml: (html) =>
          html.replace(/%(VITE_[A-Z_]+)%/g, (whole, name: string) => env[name] ?? whole),
      },
    ],
    define: Object.fromEntries(
      Object.entries(env).map(([k, v]) => [`import.meta.env.${k}`, JSON.stringify(v)]),
    ),
    // Top-level await in the guide's script.
    build: { target: 'es2022' },
    optimizeDeps: { esbuildOptions: { target: 'es2022' } },
    server: {
      port: opts.port,
      host: '127.0.0.1',
      strictPort: true,
      hmr: false,
      ...(opts.https ? { https: opts.https } : {}),
      ...(opts.host ? { allowedHosts: [opts.host] } : {}),
      proxy: proxyUrl
        ? {
            [proxyUrl]: {
              target: opts.latchkeyUrl,
              changeOrigin: true,
              rewrite: (path) => path.slice(proxyUrl.length) || '/',
            },
          }
        : {},
    },
  })
  await vite.listen()
  return {
    url: `${opts.https ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${opts.port}`,
    vite,
    close: async () => {
      await vite.close()
      rmSync(cacheDir, { recursive: true, force: true })
    },
  }
}
