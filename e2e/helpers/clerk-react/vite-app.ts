import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { createServer, type ViteDevServer } from 'vite'
import { startBackend } from '../../fixtures/clerk-react/backend.js'
import { freePort } from '../browser.js'

/** The apps in `e2e/fixtures/clerk-react/`, each Clerk's published code. */
export type ClerkReactApp = 'react-6' | 'react-5' | 'convex'

/** The relative proxy URL (DESIGN decision: Clerk's SDKs over plain http in development). */
export const PROXY_PATH = '/__clerk'

export type RunningApp = {
  url: string
  /** Every `/__clerk/npm/...` script request the dev server forwarded, with Latchkey's status. */
  scripts: { path: string; status: number }[]
  close(): Promise<void>
}

/**
 * Runs one of Clerk's React apps the way its developer does in local development: Vite's dev
 * server with the app's `.env` file, `server.proxy` forwarding the relative proxy URL to
 * Latchkey (prefix stripped) and `/api` to the app's backend.
 */
export async function startClerkReactApp(opts: {
  app: ClerkReactApp
  port: number
  latchkeyUrl: string
  secretKey: string
  publishableKey: string
  /** More `VITE_*` lines for the app's `.env`. */
  env?: Record<string, string>
  /** The backend's `CLERK_JWT_KEY` (networkless verification); else it uses the JWKS. */
  jwtKey?: string
}): Promise<RunningApp> {
  const origin = `http://127.0.0.1:${opts.port}`
  const backendPort = await freePort()
  const backend: Server = await startBackend(backendPort, {
    CLERK_SECRET_KEY: opts.secretKey,
    CLERK_API_URL: opts.latchkeyUrl,
    AUTHORIZED_PARTIES: [origin],
    ...(opts.jwtKey ? { CLERK_JWT_KEY: opts.jwtKey } : {}),
  })
  // The app's `.env`, as the quickstart has the developer write it.
  const envDir = mkdtempSync(join(tmpdir(), `clerk-${opts.app}-`))
  const env = {
    VITE_CLERK_PUBLISHABLE_KEY: opts.publishableKey,
    VITE_CLERK_PROXY_URL: PROXY_PATH,
    ...opts.env,
  }
  writeFileSync(
    join(envDir, '.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  )
  const scripts: RunningApp['scripts'] = []
  const vite: ViteDevServer = await createServer({
    root: fileURLToPath(new URL(`../../fixtures/clerk-react/${opts.app}/`, import.meta.url)),
    configFile: false,
    envDir,
    // Its own pre-bundle cache: the apps' dev servers run side by side.
    cacheDir: join(envDir, 'vite-cache'),
    logLevel: 'warn',
    plugins: [react()],
    server: {
      host: '127.0.0.1',
      port: opts.port,
      strictPort: true,
      hmr: false,
      proxy: {
        [PROXY_PATH]: {
          target: opts.latchkeyUrl,
          changeOrigin: true,
          rewrite: (path) => path.slice(PROXY_PATH.length) || '/',
          configure: (proxy) => {
            proxy.on('proxyRes', (res, req) => {
              if (req.url?.startsWith('/npm/'))
                scripts.push({ path: req.url, status: res.statusCode ?? 0 })
            })
          },
        },
        '/api': { target: `http://127.0.0.1:${backendPort}` },
      },
    },
  })
  await vite.listen()
  return {
    url: origin,
    scripts,
    close: async () => {
      await vite.close()
      await new Promise((r) => backend.close(r))
      rmSync(envDir, { recursive: true, force: true })
    },
  }
}
