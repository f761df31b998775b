import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import { ApiError } from '@latchkey/contracts'
import { createDb, type Db, migrate } from '@latchkey/db'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type Provider from 'oidc-provider'
import pino, { type Logger } from 'pino'
import { clerkBundleRoutes } from './clerk-bundles/clerk-bundles.routes.js'
import { clientRoutes } from './clients/clients.fapi.js'
import type { Config } from './config/config.schema.js'
import { dashboardRoutes } from './dashboard/dashboard.routes.js'
import { enterpriseConnectionRoutes } from './enterprise-sso/enterprise-connections.bapi.js'
import { samlRoutes } from './enterprise-sso/saml.routes.js'
import { samlConnectionRoutes } from './enterprise-sso/saml-connections.bapi.js'
import { externalAccountRoutes } from './external-accounts/external-accounts.bapi.js'
import { meExternalAccountRoutes } from './external-accounts/me-external-accounts.fapi.js'
import { oauthCallbackRoutes } from './external-accounts/oauth-callback.routes.js'
import { oauthConnectionRoutes } from './external-accounts/oauth-connections.bapi.js'
import { handshakePayloadRoutes } from './handshake/handshake.bapi.js'
import { handshakeRoutes } from './handshake/handshake.fapi.js'
import { FormGuard } from './hosted/form-guard.js'
import { hostedRoutes } from './hosted/hosted.routes.js'
import { Router } from './http/define-route.js'
import { installErrorHandler } from './http/error-handler.js'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, tooDeepError } from './http/json-depth.js'
import { trackRequestCause } from './http/request-cause.js'
import {
  apiSecurityHeaders,
  isJsonContentType,
  keepsOwnSecurityHeaders,
  securityHeaders,
} from './http/security-headers.js'
import { imageRoutes } from './images/images.routes.js'
import { profileImageRoutes } from './images/profile-image.fapi.js'
import { environmentRoutes } from './instance/environment.fapi.js'
import { healthRoutes } from './instance/health.routes.js'
import { instanceRoutes } from './instance/instance.bapi.js'
import type { Bootstrap } from './instance/instance.service.js'
import { lockoutSettingsRoutes } from './instance/lockout-settings.bapi.js'
import { secretKeyRoutes } from './instance/secret-keys.bapi.js'
import { sessionSettingsRoutes } from './instance/session-settings.bapi.js'
import { userSettingsRoutes } from './instance/user-settings.bapi.js'
import { wellKnownRoutes } from './keys/well-known.routes.js'
import { type Clock, systemClock } from './lib/clock.js'
import { SecretBox } from './lib/crypto.js'
import { SECRET_KEY_FILE, secureDataDir, writePrivateFile } from './lib/data-dir.js'
import { loadMasterKey } from './lib/master-key.js'
import { setHashConcurrency } from './lib/passwords.js'
import { meMfaRoutes } from './mfa/me-mfa.fapi.js'
import { mfaRoutes } from './mfa/mfa.bapi.js'
import { oauthRoutes } from './oauth/oauth.routes.js'
import { oauthApplicationRoutes } from './oauth/oauth-applications.bapi.js'
import { createOAuthProvider } from './oauth/provider.js'
import { auditRoutes } from './operators/audit.bapi.js'
import { operatorSessionRoutes } from './operators/operator-sessions.bapi.js'
import { operatorRoutes } from './operators/operators.bapi.js'
import { mePasskeyRoutes } from './passkeys/me-passkeys.fapi.js'
import { passkeyRoutes } from './passkeys/passkeys.bapi.js'
import {
  FailureLimiter,
  OAUTH_CLIENT_FAILURES,
  SECRET_KEY_FAILURES,
} from './rate-limits/failure-limiter.js'
import { limitOAuthClientAuthentication } from './rate-limits/oauth-client-auth.middleware.js'
import { databaseRateLimitStore } from './rate-limits/rate-limit.store.js'
import { createServices, type Services } from './services.js'
import { sessionVerificationRoutes } from './session-verifications/session-verifications.fapi.js'
import { sessionRoutes } from './sessions/sessions.bapi.js'
import { fapiSessionRoutes } from './sessions/sessions.fapi.js'
import { signInRoutes } from './sign-ins/sign-ins.fapi.js'
import { restrictionRoutes } from './sign-up-policy/restrictions.bapi.js'
import { signUpRoutes } from './sign-ups/sign-ups.fapi.js'
import { jwtTemplateRoutes } from './templates/jwt-templates.bapi.js'
import { tokenPreviewRoutes } from './templates/token-preview.bapi.js'
import { emailAddressRoutes } from './users/email-addresses.bapi.js'
import { meRoutes } from './users/me.fapi.js'
import { meEmailRoutes } from './users/me-emails.fapi.js'
import { userRoutes } from './users/users.bapi.js'
import { emailLinkRoutes } from './verification/email-link.routes.js'
import { webhookRoutes } from './webhooks/webhooks.bapi.js'

export type AppOptions = {
  config: Config
  clock?: Clock
  logger?: Logger
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  dbSchema?: string
  /** Where the dev mailbox prints each message (main.ts: stdout); the log otherwise. */
  printMail?: (block: string) => void
}

export type LatchkeyApp = {
  app: FastifyInstance
  services: Services
  db: Db
  bootstrap: Bootstrap
  close(): Promise<void>
}

/** How long SIGTERM waits for in-flight requests before cutting connections. */
const DRAIN_GRACE_MS = 10_000

const FAPI_PREFIXES = ['/v1/client', '/v1/environment', '/v1/me', '/_method/']
const OVERRIDABLE = new Set(['PATCH', 'PUT', 'DELETE'])

/** The application without HTTP: database, services, bootstrapped instance. The CLI uses it. */
export type LatchkeyCore = {
  services: Services
  db: Db
  bootstrap: Bootstrap
  log: Logger
  /** Seals secrets at rest and derives the OAuth provider's cookie keys. */
  box: SecretBox
}

/** Opens the database, migrates, builds services and bootstraps the instance. */
export async function createCore(opts: AppOptions): Promise<LatchkeyCore> {
  const { config } = opts
  const clock = opts.clock ?? systemClock
  const log = opts.logger ?? pino({ level: config.logLevel })
  setHashConcurrency(config.hashConcurrency)
  secureDataDir(config.dataDir, config.databaseUrl, log)
  const db = await createDb({
    url: config.databaseUrl,
    ...(opts.dbSchema ? { schema: opts.dbSchema } : {}),
  })
  try {
    await migrate(db)
    const box = new SecretBox(loadMasterKey(config.encryptionKey, config.dataDir))
    const services = createServices({
      db: db.db,
      dialect: db.dialect,
      changes: db.changes,
      config,
      clock,
      box,
      log,
    })
    const bootstrap = await services.instance.bootstrap()
    if (bootstrap.generatedSecretKey)
      bootstrap.secretKeyFile = deliverSecretKey(config.dataDir, bootstrap.generatedSecretKey)
    await services.keys.load()
    return { services, db, bootstrap, log, box }
  } catch (error) {
    await db.close()
    throw error
  }
}

/**
 * The operator collects the first secret key from a file only they can read: stdout, often a log
 * collector's, shows its path (and the key itself only on a terminal, main.ts). The key is
 * already stored (as a hash) when this runs, so a failure says how to get another.
 */
function deliverSecretKey(dataDir: string, secretKey: string): string {
  try {
    return writePrivateFile(dataDir, SECRET_KEY_FILE, `${secretKey}\n`, { replace: true })
  } catch (error) {
    throw new Error(
      `could not write the generated secret key into ${dataDir} (${String(error)}); fix the ` +
        'directory, then issue a key with `npm run latchkey -- secret-keys create`',
      { cause: error },
    )
  }
}

/**
 * Composition root: the core plus every HTTP route. Nothing here reads `process`.
 */
export async function createApp(opts: AppOptions): Promise<LatchkeyApp> {
  const { services, db, bootstrap, log, box } = await createCore(opts)
  try {
    const clock = opts.clock ?? systemClock
    const store = databaseRateLimitStore(db.db, clock)
    const oauth = createOAuthProvider({
      config: opts.config,
      services,
      db: db.db,
      box,
      log,
    })
    const forms = new FormGuard(box.derive('hosted form tokens'), opts.config.url)
    // Failed credentials are limited per client IP with the other per-IP limits.
    const secretKeyFailures = opts.config.rateLimit
      ? new FailureLimiter(SECRET_KEY_FAILURES, services.rateLimits, clock)
      : undefined
    if (opts.config.rateLimit)
      limitOAuthClientAuthentication(
        oauth,
        new FailureLimiter(OAUTH_CLIENT_FAILURES, services.rateLimits, clock),
      )
    const app = await buildHttp(opts.config, services, log, store, oauth, forms, secretKeyFailures)
    // Graceful drain: once closing, every response tells its keep-alive connection to close, so
    // in-flight requests finish and their sockets end, and the server can stop. Sockets that
    // stay open past the grace period are cut.
    // Every process drains the mail outbox (the CLI, on the core alone, sends nothing).
    services.mail.start(opts.printMail ? { print: opts.printMail } : {})
    // And delivers webhooks (issue #19): claims are safe across processes.
    services.webhookWorker.start()
    let draining = false
    app.addHook('onSend', (_req, reply, payload, done) => {
      if (draining) reply.header('connection', 'close')
      done(null, payload)
    })
    return {
      app,
      services,
      db,
      bootstrap,
      close: async () => {
        draining = true
        const cut = setTimeout(() => app.server.closeAllConnections(), DRAIN_GRACE_MS)
        try {
          await app.close()
        } finally {
          clearTimeout(cut)
        }
        await services.sessions.flushActivity()
        await services.mail.stop()
        await services.webhookWorker.stop()
        await db.close()
      },
    }
  } catch (error) {
    await db.close()
    throw error
  }
}

async function buildHttp(
  config: Config,
  services: Services,
  log: Logger,
  store: ReturnType<typeof databaseRateLimitStore>,
  oauth: Provider,
  forms: FormGuard,
  secretKeyFailures: FailureLimiter | undefined,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    // Only connections from the listed proxies have their X-Forwarded-* believed (proxy-addr).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID()
    },
    requestIdHeader: false,
    // Clerk's browser SDK sends PATCH and DELETE as POST ?_method=VERB. Route those to the
    // verb's handler, which the router also mounts under /_method/VERB.
    rewriteUrl: (req) => {
      const url = req.url ?? '/'
      if (req.method !== 'POST') return url
      const m = /[?&]_method=([A-Za-z]+)/.exec(url)
      const verb = m?.[1]?.toUpperCase()
      return verb && OVERRIDABLE.has(verb) ? `/_method/${verb}${url}` : url
    },
  })
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-trace-id', req.id)
    done(null, payload)
  })
  installErrorHandler(app)
  // An empty JSON body (Clerk's SDK sends one on POST …/revoke) is an empty object. Nesting is
  // bounded here, before anything recursive sees the value (every route's JSON comes through).
  const defaultJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    if (jsonNestsDeeperThan(bytes, MAX_JSON_DEPTH)) return done(tooDeepError(), undefined)
    const text = bytes.toString('utf8')
    if (text.trim() === '') return done(null, {})
    defaultJson(req, text, done)
  })
  await app.register(cookie)
  await app.register(formbody)
  trackRequestCause(app)
  // Every answer starts with the API set; one that turns out not to be JSON (a page, a script,
  // an image, a redirect, an empty answer) gains Helmet's document set, except where its route
  // chose a header of its own (the hosted pages' stricter CSP).
  const https = config.url.startsWith('https:')
  const apiHeaders = apiSecurityHeaders(https)
  const documentHeaders = Object.entries(securityHeaders(https))
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(apiHeaders)
    done()
  })
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!isJsonContentType(reply.getHeader('content-type')) && !keepsOwnSecurityHeaders(reply)) {
      for (const [name, value] of documentHeaders) {
        const current = reply.getHeader(name)
        if (current === undefined || current === apiHeaders[name]) reply.header(name, value)
      }
    }
    done(null, payload)
  })
  // CORS: public documents and images to anyone; the Frontend API, with credentials, to allowed origins
  // (`origin: true` reflects the request's); nothing else. The option sets are built once.
  const PUBLIC = { origin: '*' }
  const NONE = { origin: false }
  const FRONTEND = {
    origin: true,
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    exposedHeaders: ['Authorization', 'x-trace-id', 'Retry-After'],
    maxAge: 600,
  }
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (req, cb) => {
      const path = req.url ?? ''
      // Users' images too: Clerk's UI loads avatars with `crossorigin="anonymous"`.
      if (path.startsWith('/.well-known/') || path.startsWith('/images/')) return cb(null, PUBLIC)
      if (!FAPI_PREFIXES.some((p) => path.startsWith(p))) return cb(null, NONE)
      const origin = req.headers.origin
      if (!origin) return cb(null, NONE)
      services.instance.isAllowedOrigin(origin).then(
        (allowed) => cb(null, allowed ? FRONTEND : NONE),
        (err: Error) => cb(err),
      )
    },
  })
  if (config.rateLimit) {
    await app.register(rateLimit, {
      global: false,
      store,
      errorResponseBuilder: (_req, ctx) =>
        ApiError.of('too_many_requests', {
          longMessage: `Too many requests. Please try again in ${Math.ceil(ctx.ttl / 1000)} seconds.`,
          meta: { retry_after_seconds: Math.ceil(ctx.ttl / 1000) },
        }),
    })
  } else {
    log.warn(
      'LATCHKEY_RATE_LIMIT=off: per-IP rate limits are disabled. Use this for load tests only.',
    )
  }
  const router = new Router(app, services, config, secretKeyFailures)
  environmentRoutes(router)
  clientRoutes(router)
  signInRoutes(router)
  signUpRoutes(router)
  fapiSessionRoutes(router)
  sessionVerificationRoutes(router)
  meRoutes(router)
  meEmailRoutes(router)
  meMfaRoutes(router)
  mePasskeyRoutes(router)
  meExternalAccountRoutes(router)
  await profileImageRoutes(app, services, config)
  imageRoutes(app, services)
  instanceRoutes(router)
  userSettingsRoutes(router)
  restrictionRoutes(router)
  sessionSettingsRoutes(router)
  lockoutSettingsRoutes(router)
  userRoutes(router)
  emailAddressRoutes(router)
  mfaRoutes(router)
  passkeyRoutes(router)
  externalAccountRoutes(router)
  oauthConnectionRoutes(router)
  samlConnectionRoutes(router)
  enterpriseConnectionRoutes(router)
  sessionRoutes(router)
  jwtTemplateRoutes(router)
  tokenPreviewRoutes(router)
  oauthApplicationRoutes(router)
  handshakePayloadRoutes(router)
  webhookRoutes(router)
  secretKeyRoutes(router)
  operatorRoutes(router)
  operatorSessionRoutes(router)
  auditRoutes(router)
  handshakeRoutes(app, services, config)
  emailLinkRoutes(app, services, config)
  oauthCallbackRoutes(app, services, config)
  samlRoutes(app, services, config)
  wellKnownRoutes(app, services, config)
  healthRoutes(app, services)
  clerkBundleRoutes(app, config)
  dashboardRoutes(app, { https })
  await oauthRoutes(app, services, config, oauth, forms)
  await hostedRoutes(app, services, config, forms)
  return app
}
