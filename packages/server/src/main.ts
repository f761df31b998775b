import cluster from 'node:cluster'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pino } from 'pino'
import type { Config } from './config/config.schema.js'
import { ConfigError, loadConfig } from './config/load-config.js'
import type { Bootstrap } from './instance/instance.service.js'
import { SECRET_KEY_FILE } from './lib/data-dir.js'

/**
 * The deployable: env → config → app → listen. The only module that touches `process`.
 * With `LATCHKEY_WORKERS` > 1 the primary process forks one short-lived process that migrates
 * and bootstraps the instance, then that many HTTP workers sharing the port (node:cluster);
 * every worker is stateless. The primary never loads the application (`./app.js` is imported
 * only where it runs): it holds a logger and the workers, not a second copy of the server.
 */
async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`latchkey: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
  if (config.workers > 1 && cluster.isPrimary) return primary(config)
  if (process.env[BOOTSTRAP_ROLE] === '1') return bootstrapOnce(config)
  return serve(config)
}

/** Set on the one cluster process that migrates and bootstraps, then exits. */
const BOOTSTRAP_ROLE = 'LATCHKEY_CLUSTER_BOOTSTRAP'

/** What the bootstrap process tells the primary, for the banner. */
type Booted = { dialect: string; publishableKey: string; bootstrap: Bootstrap }

function banner(
  config: Config,
  dialect: string,
  publishableKey: string,
  bootstrap: Bootstrap,
): string {
  const workers = config.workers > 1 ? `, ${config.workers} workers` : ''
  const lines = [
    '',
    `  Latchkey is running (${dialect}${workers})`,
    `  Frontend API URL:  ${config.url}`,
    `  Publishable key:   ${publishableKey}`,
    `  JWKS URL:          ${config.url}/.well-known/jwks.json`,
    `  Backend API URL:   ${config.url}  (clients append /v1/…)`,
    clerkSdkLine(config),
    ...secretKeyLines(config, bootstrap),
  ]
  return `${lines.join('\n')}\n\n`
}

/**
 * What Clerk's own SDKs need besides the key. They call the Frontend API over https only, so over
 * http they reach it through the app's dev server: a relative `proxyUrl` forwarded here.
 */
function clerkSdkLine(config: Config): string {
  return config.url.startsWith('https:')
    ? '  Clerk SDKs:        this publishable key, nothing else (see docs/MOVE-FROM-CLERK.md)'
    : `  Clerk SDKs:        proxyUrl: '/__clerk', the dev server forwarding /__clerk/* to ${config.url}/* (docs/MOVE-FROM-CLERK.md)`
}

const KEY_LABEL = '  Secret key:        '
const KEY_NOTE = '                     '

/**
 * Where the operator finds the secret key. A generated one is in a 0600 file; it is printed too
 * only when stdout is a terminal, since a service's stdout usually ends in a log collector.
 */
function secretKeyLines(config: Config, bootstrap: Bootstrap): string[] {
  const file = bootstrap.secretKeyFile
  if (bootstrap.generatedSecretKey && file) {
    if (process.stdout.isTTY)
      return [
        `${KEY_LABEL}${bootstrap.generatedSecretKey}`,
        `${KEY_NOTE}(shown once; also in ${file}, mode 0600: store it, then delete the file)`,
      ]
    return [
      `${KEY_LABEL}in ${file} (mode 0600)`,
      `${KEY_NOTE}(not printed: stdout is not a terminal; store it, then delete the file)`,
    ]
  }
  if (config.secretKey) return [`${KEY_LABEL}from LATCHKEY_SECRET_KEY`]
  const left = resolve(config.dataDir, SECRET_KEY_FILE)
  if (existsSync(left)) return [`${KEY_LABEL}in ${left} (written on first boot)`]
  return [
    `${KEY_LABEL}issued on first boot; \`npm run latchkey -- secret-keys create\` issues more`,
  ]
}

/** One process serving HTTP: the whole server, or one cluster worker. */
async function serve(config: Config): Promise<void> {
  const { createApp } = await import('./app.js')
  const latchkey = await createApp({
    config,
    printMail: (block) => process.stdout.write(block),
  })
  const { app, services, bootstrap } = latchkey
  await app.listen({ port: config.port, host: config.host })
  if (cluster.isPrimary) {
    process.stdout.write(
      banner(config, latchkey.db.dialect, services.instance.publishableKey(), bootstrap),
    )
  }
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

/** The cluster's bootstrap process: migrate, bootstrap the instance, report, exit. */
async function bootstrapOnce(config: Config): Promise<void> {
  const { createCore } = await import('./app.js')
  const core = await createCore({ config })
  const booted: Booted = {
    dialect: core.db.dialect,
    publishableKey: core.services.instance.publishableKey(),
    bootstrap: core.bootstrap,
  }
  await core.db.close()
  process.send?.(booted, () => process.exit(0))
}

/** Runs the bootstrap process and waits for its report; it prints its own failure. */
function bootstrapInProcess(): Promise<Booted> {
  return new Promise((resolve, reject) => {
    let booted: Booted | undefined
    const worker = cluster.fork({ [BOOTSTRAP_ROLE]: '1' })
    worker.once('message', (message: Booted) => {
      booted = message
    })
    worker.once('exit', (code) => {
      if (booted && code === 0) resolve(booted)
      else reject(new Error(`the bootstrap process exited with code ${code}`))
    })
  })
}

/** The cluster primary: bootstrap once, fork workers, restart crashed ones, drain on SIGTERM. */
async function primary(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel })
  let booted: Booted
  try {
    booted = await bootstrapInProcess()
  } catch {
    process.exit(1)
  }
  const { dialect, publishableKey, bootstrap } = booted

  let closing = false
  let listening = 0
  const fork = () => {
    const worker = cluster.fork()
    worker.once('listening', () => {
      listening++
      if (listening === config.workers)
        process.stdout.write(banner(config, dialect, publishableKey, bootstrap))
    })
  }
  cluster.on('exit', (worker, code, signal) => {
    if (closing) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting another')
    fork()
  })
  for (let i = 0; i < config.workers; i++) fork()

  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: draining every worker')
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
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
