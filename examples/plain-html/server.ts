/**
 * The plain HTML example's backend: serves index.html with the Latchkey URL and publishable key
 * filled in, and `GET /api/me`, which verifies the caller's session token with
 * `@latchkey/backend` (Bearer header or `__session` cookie) against the instance's JWKS.
 *
 *   LATCHKEY_URL=http://localhost:4000 PORT=5173 npm run example:html
 *
 * (`npm run example:html` adds `--conditions=@latchkey/source`, so Node loads the workspace
 * packages from their TypeScript source rather than a `dist/` that only `npm run build` makes.)
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { authenticateRequest } from '@latchkey/backend'
import { encodePublishableKey } from '@latchkey/contracts'

export function startPlainHtmlExample(opts: {
  port: number
  host?: string
  latchkeyUrl: string
}): Promise<Server> {
  const latchkeyUrl = opts.latchkeyUrl.replace(/\/$/, '')
  const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8')
    .replaceAll('%LATCHKEY_URL%', latchkeyUrl)
    .replaceAll('%PUBLISHABLE_KEY%', encodePublishableKey(new URL(latchkeyUrl).host))
  const origin = `http://${opts.host ?? 'localhost'}:${opts.port}`

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin)
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
      return
    }
    if (url.pathname === '/api/me') {
      const headers = new Headers()
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
      const auth = await authenticateRequest(new Request(url, { headers }), {
        jwksUrl: `${latchkeyUrl}/.well-known/jwks.json`,
        issuer: latchkeyUrl,
        authorizedParties: [origin],
      })
      const body = auth.isSignedIn
        ? { signedIn: true, userId: auth.userId, sessionId: auth.sessionId }
        : { signedIn: false, reason: auth.reason }
      res
        .writeHead(auth.isSignedIn ? 200 : 401, { 'content-type': 'application/json' })
        .end(JSON.stringify(body))
      return
    }
    res.writeHead(404).end('Not found')
  })
  return new Promise((resolve) =>
    server.listen(opts.port, opts.host ?? 'localhost', () => resolve(server)),
  )
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 5173)
  const latchkeyUrl = process.env.LATCHKEY_URL ?? 'http://localhost:4000'
  await startPlainHtmlExample({ port, latchkeyUrl })
  console.log(`Plain HTML example on http://localhost:${port} (Latchkey at ${latchkeyUrl})`)
}
