import { createApp } from './app.js'
import { ConfigError, loadConfig } from './config/load-config.js'

/** The deployable: env → config → app → listen. The only module that touches `process`. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`latchkey: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  const latchkey = await createApp({ config })
  const { app, services, bootstrap } = latchkey
  await app.listen({ port: config.port, host: config.host })

  const lines = [
    '',
    `  Latchkey is running (${latchkey.db.dialect})`,
    `  Frontend API URL:  ${config.url}`,
    `  Publishable key:   ${services.instance.publishableKey()}`,
    `  JWKS URL:          ${config.url}/.well-known/jwks.json`,
    `  Backend API URL:   ${config.url}  (clients append /v1/…)`,
  ]
  if (bootstrap.generatedSecretKey) {
    lines.push(
      `  Secret key:        ${bootstrap.generatedSecretKey}`,
      '                     (shown once: store it now; it is kept only as a hash)',
    )
  } else if (config.secretKey) {
    lines.push('  Secret key:        from LATCHKEY_SECRET_KEY')
  } else {
    lines.push('  Secret key:        shown on first boot only (or set LATCHKEY_SECRET_KEY)')
  }
  process.stdout.write(`${lines.join('\n')}\n\n`)

  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: draining in-flight requests')
    latchkey.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  process.stderr.write(
    `latchkey: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  )
  process.exit(1)
})
