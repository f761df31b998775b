import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * Bundles a page's entry with esbuild (React in production mode) and serves it on its own
 * origin: `/` is a page that sets `window.PUBLISHABLE_KEY` (and any `globals`) and loads `/app.js`.
 */
export async function serveBundledPage(opts: {
  entry: URL
  port: number
  publishableKey: string
  /** More `window` globals for the page. */
  globals?: Record<string, string>
}): Promise<Server> {
  const result = await build({
    entryPoints: [fileURLToPath(opts.entry)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    jsx: 'automatic',
    // The workspace SDKs from their TypeScript source (their `dist/` exists only after a build).
    conditions: ['@latchkey/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'silent',
  })
  const js = result.outputFiles[0]?.contents ?? new Uint8Array()
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>fixture</title></head>
<body><div id="root"></div><script>window.PUBLISHABLE_KEY = ${JSON.stringify(opts.publishableKey)}
${Object.entries(opts.globals ?? {})
  .map(([k, v]) => `window.${k} = ${JSON.stringify(v)}`)
  .join('\n')}</script>
<script src="/app.js"></script></body></html>`
  const server = createServer((req, res) => {
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  await new Promise<void>((r) => server.listen(opts.port, '127.0.0.1', r))
  return server
}
