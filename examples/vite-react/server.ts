/**
 * The Vite + React example with its tiny backend in one process: Vite serves the app (dev
 * server in middleware mode, hot reload included) and `GET /api/me` verifies the caller's session
 * token with `@latchkey/backend`'s Express-style check against the instance's JWKS.
 *
 *   LATCHKEY_URL=http://localhost:4000 PORT=5173 npm run example:react
 *
 * (`npm run example:react` adds `--conditions=@latchkey/source`, and Vite is given the same
 * condition, so the workspace packages load from their TypeScript source, unbuilt.)
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { authenticateRequest } from '@latchkey/backend'
import { encodePublishableKey } from '@latchkey/contracts'
import react from '@vitejs/plugin-react'
import { createServer as createViteServer, defaultClientConditions, type ViteDevServer } from 'vite'

export async function startViteReactExample(opts: {
  port: number
  host?: string
  latchkeyUrl: string
}): Promise<{ server: Server; vite: ViteDevServer; close(): Promise<void> }> {
  const latchkeyUrl = opts.latchkeyUrl.replace(/\/$/, '')
  const host = opts.host ?? 'localhost'
  const origin = `http://${host}:${opts.port}`
  const vite = await createViteServer({
    root: fileURLToPath(new URL('.', import.meta.url)),
    configFile: false,
    appType: 'spa',
    logLevel: 'warn',
    plugins: [react()],
    resolve: { conditions: ['@latchkey/source', ...defaultClientConditions] },
    server: { middlewareMode: true, hmr: false },
    define: {
      'import.meta.env.VITE_LATCHKEY_PUBLISHABLE_KEY': JSON.stringify(
        encodePublishableKey(new URL(latchkeyUrl).host),
      ),
    },
  })
  const server = createHttpServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin)
    if (url.pathname !== '/api/me') {
      vite.middlewares(req, res)
      return
    }
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
    const auth = await authenticateRequest(new Request(url, { headers }), {
      jwksUrl: `${latchkeyUrl}/.well-known/jwks.json`,
      issuer: latchkeyUrl,
      authorizedParties: [origin],
    })
    res
      .writeHead(auth.isSignedIn ? 200 : 401, { 'content-type': 'application/json' })
      .end(
        JSON.stringify(
          auth.isSignedIn
            ? { signedIn: true, userId: auth.userId, sessionId: auth.sessionId }
            : { signedIn: false, reason: auth.reason },
        ),
      )
  })
  await new Promise<void>((r) => server.listen(opts.port, host, r))
  return {
    server,
    vite,
    close: async () => {
      await vite.close()
      await new Promise((r) => server.close(r))
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 5173)
  const latchkeyUrl = process.env.LATCHKEY_URL ?? 'http://localhost:4000'
  await startViteReactExample({ port, latchkeyUrl })
  console.log(`Vite + React example on http://localhost:${port} (Latchkey at ${latchkeyUrl})`)
}
