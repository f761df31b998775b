import { Buffer } from 'node:buffer'
import { ApiError } from '@latchkey/contracts'
import type { ClientRow } from '@latchkey/db'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type * as z from 'zod'
import type { Config } from '../config/config.schema.js'
import { OPERATOR_TOKEN_PREFIX } from '../operators/operator-credentials.service.js'
import type { FailureLimiter } from '../rate-limits/failure-limiter.js'
import type { Services } from '../services.js'
import { actingSession } from '../users/acting-session.js'
import { actorOf, type BapiActor, setActor } from './bapi-actor.js'
import { clientCookieName, isNative, readClientToken, writeClientToken } from './client-token.js'
import { writeClientUat } from './client-uat.js'
import { zodToApiError } from './zod-errors.js'

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

/** A per-route rate limit: `max` requests per `windowMs` per client IP. */
export type RateLimit = { max: number; windowMs: number }

type Schemas<B, Q, P> = {
  body?: z.ZodType<B>
  query?: z.ZodType<Q>
  params?: z.ZodType<P>
}

/** What every handler receives: parsed input and the services. Never the raw request. */
export type HandlerContext<B, Q, P> = {
  body: B
  query: Q
  params: P
  services: Services
  /** The request's `Origin` header, when the caller is a browser. */
  origin: string | undefined
  /** The caller's User-Agent and IP, recorded on the sessions it starts. */
  device: { userAgent: string | undefined; ipAddress: string }
}

export type BapiRoute<B, Q, P> = Schemas<B, Q, P> & {
  method: Method
  path: string
  /** Status of a successful response (200 unless stated). */
  status?: 200 | 204
  /**
   * `'none'`: a route anyone may call, which proves who the caller is itself (operator sign-in).
   * Every other Backend API route takes a secret key or an operator credential.
   */
  auth?: 'none'
  /** A per-IP limit (with `auth: 'none'`: the route has no credential to limit it). */
  rateLimit?: RateLimit
  /**
   * The audit log's `action` for this route when an operator calls it (default
   * `METHOD route`), or false for a route that records its own events.
   */
  auditAction?: string | false
  handler(
    ctx: HandlerContext<B, Q, P> & {
      /** Who called: undefined only on an `auth: 'none'` route. */
      actor: BapiActor | undefined
    },
  ): Promise<unknown>
}

/** What a Frontend API handler returns: the `response` and which client to render beside it. */
export type FapiResult = {
  response: unknown
  /** The client the call left the browser with; defaults to the one it came with. */
  clientId?: string | null
  /** A client created by this call: its token goes into the `__client` cookie. */
  newClientToken?: string
  /** Answer the bare `response` instead of the `{ response, client }` envelope (tokens). */
  bare?: boolean
}

export type FapiRoute<B, Q, P> = Schemas<B, Q, P> & {
  method: Method
  path: string
  rateLimit?: RateLimit
  /**
   * True for an answer that is the same for every caller and holds no user data (the
   * environment): it may be cached. Every other answer is `Cache-Control: no-store`.
   */
  cacheable?: true
  /**
   * False for a route that reads its client itself from `clientToken` (token mints join it to
   * the session in one read); `client` is then undefined.
   */
  resolveClient?: false
  /**
   * For a `/v1/me` route (the acting session, `_clerk_session_id`): `'allowed'` lets a pending
   * session — one with a task to do, Clerk's `setup-mfa` — through. Every other `/v1/me` route
   * refuses it before its handler (403 `not_allowed_access`): until the task is done, the session
   * may read the user and set up a second factor, nothing else (a password alone got it).
   */
  pendingSession?: 'allowed'
  /**
   * A sensitive account action (a new way in, a removed factor, a password, the account): with
   * the operator's reverification on, the acting session must have proved its factors recently
   * (session-verifications/reverification-policy.ts), else Clerk's 403
   * `session_reverification_required` before the handler runs. A function decides from the
   * parsed input, for a route only some of whose changes are sensitive.
   */
  sensitive?: true | ((input: { body: B; query: Q; params: P }) => boolean)
  handler(
    ctx: HandlerContext<B, Q, P> & {
      client: ClientRow | undefined
      /** The `__client` cookie or the `Authorization` header's token, as sent. */
      clientToken: string | undefined
      /** A sensitive route: whether the reverification policy applied (and was met). */
      reverified: boolean
      /** The app's proxy of the Frontend API this call came through ({@link proxyUrlOf}). */
      proxyUrl: string | undefined
    },
  ): Promise<FapiResult>
}

/** The routes that act as one of the client's sessions (`users/acting-session.ts`). */
const ACTING_PREFIX = '/v1/me'

/** 403, not 401: a pending session stays signed in to do its task. */
const pendingRefused = () =>
  ApiError.of('not_allowed_access', {
    longMessage:
      'This session has a task to complete first (it is pending): only setting up a second factor, reading the user and signing out are allowed.',
  })

function parse<T>(
  schema: z.ZodType<T> | undefined,
  value: unknown,
  where: 'body' | 'query' | 'params',
): T {
  if (!schema) return undefined as T
  const input = value ?? {}
  const result = schema.safeParse(input)
  if (!result.success) throw zodToApiError(result.error, where, input)
  return result.data
}

/** Form keys arrive as `email_address[]` from some clients: strip the brackets. */
function normalizeKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const key = k.endsWith('[]') ? k.slice(0, -2) : k
    out[key] = k.endsWith('[]') && !Array.isArray(v) ? [v] : v
  }
  return out
}

function input<B, Q, P>(def: Schemas<B, Q, P>, req: FastifyRequest) {
  return {
    params: parse(def.params, req.params, 'params'),
    query: parse(def.query, normalizeKeys(req.query), 'query'),
    body: parse(def.body, normalizeKeys(req.body), 'body'),
  }
}

/**
 * The calling page's origin, which session tokens name in `azp`: the `Origin` header, or, when a
 * browser sends none (a same-origin GET: an app that reaches Latchkey through its own dev server's
 * proxy, docs/MOVE-FROM-CLERK.md), the origin of its `Referer`. Neither is proof (a non-browser
 * client can send either), and both pass through the same allowed-origin check: the client
 * rendering's for a GET, {@link checkOrigin}'s for anything else.
 */
const originOf = (req: FastifyRequest) => {
  const o = req.headers.origin
  if (typeof o === 'string') return o !== 'null' ? o : undefined
  const referer = req.headers.referer
  if (typeof referer !== 'string' || !/^https?:\/\//.test(referer)) return undefined
  try {
    return new URL(referer).origin
  } catch {
    return undefined
  }
}

/**
 * Who may make a state-changing Frontend API call (anything but GET and HEAD, so also
 * `POST …?_method=PATCH|DELETE`): a browser page on an allowed origin, or a client that sends no
 * `Origin` at all. Browsers send `Origin` on every such request, so its absence means a native
 * or server-side client (its client token in `Authorization`); one that sends a `Referer`
 * instead is held to the origin it names, which {@link originOf} would put in `azp`.
 * `Origin: null` is a browser context with an opaque origin — a sandboxed frame, a `data:` or
 * `file:` page, a page with `Referrer-Policy: no-referrer`, a cross-origin redirect — that
 * another site can create at will, so it is refused like any other origin that is not allowed.
 */
async function checkOrigin(req: FastifyRequest, services: Services): Promise<void> {
  if (req.method === 'GET' || req.method === 'HEAD') return
  if (req.headers.origin === 'null')
    throw ApiError.of('origin_invalid', {
      longMessage:
        'Requests from an opaque origin (Origin: null) are not accepted. Call the Frontend API from a page on an allowed origin, or from a native client without an Origin header.',
    })
  // Without Origin, a Referer's origin stands in for it (originOf: it becomes the token's `azp`
  // and the environment's redirect targets), so it must be allowed too.
  const origin = originOf(req)
  if (origin !== undefined && !(await services.instance.isAllowedOrigin(origin)))
    throw ApiError.of('origin_invalid', { longMessage: `Origin ${origin} is not allowed.` })
}

/**
 * The app's own proxy of the Frontend API a browser call came through, where that browser keeps
 * its client cookie: Clerk's `Clerk-Proxy-Url` header when the proxy sends it, else, for a call
 * the browser made same-origin (`Sec-Fetch-Site: same-origin`) from a page that is not
 * Latchkey's, the documented relative path `/__clerk` on the page's origin
 * (docs/MOVE-FROM-CLERK.md). A hint only: whoever uses it checks the origin is allowed.
 */
export function proxyUrlOf(req: FastifyRequest, publicUrl: string): string | undefined {
  const header = req.headers['clerk-proxy-url']
  if (typeof header === 'string' && URL.canParse(header)) return header.replace(/\/+$/, '')
  const origin = req.headers.origin
  if (req.headers['sec-fetch-site'] !== 'same-origin' || typeof origin !== 'string') return
  if (!URL.canParse(origin) || origin === new URL(publicUrl).origin) return
  return `${origin}/__clerk`
}

/** The caller's User-Agent and IP, recorded on the sessions a request starts. */
export const deviceOf = (req: FastifyRequest) => ({
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  ipAddress: req.ip,
})

/**
 * Frontend and Backend API answers carry sessions, tokens and user data: no cache (a browser's,
 * a proxy's, a CDN's) may keep them. Set before anything runs, so errors carry it too.
 */
const noStore: onRequestHookHandler = (_req, reply, done) => {
  reply.header('cache-control', 'no-store')
  done()
}

/** Routes of one API, registered on one Fastify instance. */
export class Router {
  readonly #app: FastifyInstance
  readonly #services: Services
  readonly #config: Config
  readonly #secretKeyFailures: FailureLimiter | undefined

  /** `secretKeyFailures` limits wrong Backend API secret keys per client IP (absent: no limit). */
  constructor(
    app: FastifyInstance,
    services: Services,
    config: Config,
    secretKeyFailures?: FailureLimiter,
  ) {
    this.#app = app
    this.#services = services
    this.#config = config
    this.#secretKeyFailures = secretKeyFailures
  }

  /**
   * A Backend API route: secret-key auth, JSON in and out, `Content-Type: application/json`
   * exactly (Clerk's SDK reads anything else as text).
   */
  bapi<B = undefined, Q = undefined, P = undefined>(def: BapiRoute<B, Q, P>): void {
    const services = this.#services
    const failures = this.#secretKeyFailures
    const config =
      def.rateLimit && this.#config.rateLimit
        ? { rateLimit: { max: def.rateLimit.max, timeWindow: def.rateLimit.windowMs } }
        : {}
    this.#app.route({
      method: def.method,
      url: def.path,
      config,
      onRequest: noStore,
      preHandler: async (req) => {
        if (def.auth === 'none') return
        // A client IP that sent too many wrong keys waits, and its key is not even checked.
        const wait = failures?.retryAfter(req.ip) ?? 0
        if (wait > 0) throw tooManyFailures(wait)
        const header = req.headers.authorization
        if (!header)
          throw ApiError.of('authentication_invalid', { longMessage: 'Missing secret key.' })
        const m = /^Bearer (\S+)$/.exec(header)
        if (!m?.[1]) throw ApiError.of('authorization_header_format_invalid')
        try {
          setActor(req, await authenticate(services, m[1]))
        } catch (error) {
          // Wrong operator credentials count with wrong secret keys: one limit on guessing.
          if (failures && error instanceof ApiError && error.code === 'authentication_invalid')
            await failures.recordFailure(req.ip)
          throw error
        }
      },
      // Before the answer leaves (not onResponse): whoever reads the audit log after a change
      // made with an operator credential finds it there, and a change is never silently
      // unrecorded because the process stopped between the two.
      onSend: async (req, reply, payload) => {
        await recordAudit(services, def, req, reply.statusCode, payload)
        return payload
      },
      handler: async (req, reply) => {
        const result = await def.handler({
          ...input(def, req),
          services,
          origin: originOf(req),
          device: deviceOf(req),
          actor: actorOf(req),
        })
        if (def.status === 204) return reply.code(204).send()
        return sendJson(reply, 200, result)
      },
    })
  }

  /**
   * A Frontend API route: the caller's client comes from the `__client` cookie or the
   * `Authorization` header; the answer is Clerk's `{ response, client }` envelope. A PATCH, PUT or
   * DELETE route is also reachable as `POST …?_method=VERB` (see app.ts `rewriteUrl`).
   */
  fapi<B = undefined, Q = undefined, P = undefined>(def: FapiRoute<B, Q, P>): void {
    const services = this.#services
    const publicUrl = this.#config.url
    const cookieName = clientCookieName(publicUrl)
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      await checkOrigin(req, services)
      const origin = originOf(req)
      const token = readClientToken(req, publicUrl)
      const client =
        token && def.resolveClient !== false
          ? await services.clients.resolve(token.value)
          : undefined
      const parsed = input(def, req)
      const reverified = await guardActing(def, parsed, client, services)
      const result = await def.handler({
        ...parsed,
        services,
        origin,
        client,
        clientToken: token?.value,
        device: deviceOf(req),
        reverified,
        proxyUrl: proxyUrlOf(req, publicUrl),
      })
      if (result.newClientToken) writeClientToken(req, reply, result.newClientToken, publicUrl)
      if (result.bare) return sendJson(reply, 200, result.response)
      const clientId = result.clientId === undefined ? client?.id : result.clientId
      const row = clientId ? await services.clients.find(clientId) : undefined
      const clientJSON = row ? await services.render.client(row, origin) : null
      if (result.clientId === null && token?.source === 'cookie')
        reply.clearCookie(cookieName, { path: '/' })
      if (!isNative(req)) writeClientUat(reply, clientJSON, publicUrl)
      return sendJson(reply, 200, { response: result.response, client: clientJSON })
    }
    const config =
      def.rateLimit && this.#config.rateLimit
        ? { rateLimit: { max: def.rateLimit.max, timeWindow: def.rateLimit.windowMs } }
        : {}
    const onRequest = def.cacheable ? [] : [noStore]
    this.#app.route({ method: def.method, url: def.path, config, onRequest, handler })
    if (def.method !== 'GET' && def.method !== 'POST') {
      const url = `/_method/${def.method}${def.path}`
      this.#app.route({ method: 'POST', url, config, onRequest, handler })
    }
  }
}

/**
 * Before a `/v1/me` handler: the acting session may not be pending (unless the route allows
 * it), and a sensitive route's session must have proved its factors recently. Returns whether
 * the reverification policy applied.
 */
async function guardActing<B, Q, P>(
  def: FapiRoute<B, Q, P>,
  parsed: { body: B; query: Q; params: P },
  client: ClientRow | undefined,
  services: Services,
): Promise<boolean> {
  const sensitive =
    typeof def.sensitive === 'function' ? def.sensitive(parsed) : def.sensitive === true
  if (!def.path.startsWith(ACTING_PREFIX) && !sensitive) return false
  const query = parsed.query as { _clerk_session_id?: string } | undefined
  const s = await actingSession(services, client, query?._clerk_session_id)
  if (def.pendingSession !== 'allowed' && services.sessions.isPending(s)) throw pendingRefused()
  return sensitive ? services.sessionVerifications.requireRecent(s) : false
}

/**
 * A Backend API credential: an operator's `lk_op_…` (operators/operator-credentials.service.ts)
 * or a secret key. Only `bapi` routes call this: the Frontend API, OAuth and the hosted pages
 * never accept an operator credential.
 */
async function authenticate(services: Services, token: string): Promise<BapiActor> {
  if (token.startsWith(OPERATOR_TOKEN_PREFIX))
    return services.operatorCredentials.authenticate(token)
  await services.secretKeys.authenticate(token)
  return SECRET_KEY_ACTOR
}

const SECRET_KEY_ACTOR: BapiActor = { type: 'secret_key' }

/**
 * Every Backend API call an operator credential makes that may change something (anything but
 * GET and HEAD), with its outcome: the audit log (issue #20). A failure to record is logged, and
 * does not change the answer: the change it describes is already made.
 */
async function recordAudit<B, Q, P>(
  services: Services,
  def: BapiRoute<B, Q, P>,
  req: FastifyRequest,
  statusCode: number,
  payload: unknown,
): Promise<void> {
  const actor = actorOf(req)
  if (actor?.type !== 'operator' || def.auditAction === false) return
  if (req.method === 'GET' || req.method === 'HEAD') return
  const firstParam = /:(\w+)/.exec(def.path)?.[1]
  const params = (req.params ?? {}) as Record<string, unknown>
  const target = firstParam
    ? params[firstParam]
    : def.method === 'POST'
      ? createdId(statusCode, payload)
      : undefined
  try {
    await services.audit.record({
      actor,
      action: def.auditAction ?? `${def.method} ${def.path}`,
      method: def.method,
      route: def.path,
      targetId: typeof target === 'string' ? target.slice(0, 256) : null,
      statusCode,
      device: deviceOf(req),
    })
  } catch (error) {
    req.log.error({ err: error }, 'could not record an audit event')
  }
}

/**
 * The target of a POST on a route without a path parameter (`POST /v1/users`, `POST
 * /v1/secret_keys`, `POST /v1/operators`): the `id` (else `user_id`) of the object it answered,
 * so the log says which key was issued or which user was made an operator. Only that field is
 * read: nothing else of the answer (a new key's secret) goes near the log.
 */
function createdId(statusCode: number, payload: unknown): string | undefined {
  if (statusCode !== 200 || !Buffer.isBuffer(payload) || payload.length > 1_000_000) return
  try {
    const body: unknown = JSON.parse(payload.toString('utf8'))
    if (!body || typeof body !== 'object' || Array.isArray(body)) return
    const { id, user_id: userId } = body as { id?: unknown; user_id?: unknown }
    if (typeof id === 'string') return id
    return typeof userId === 'string' ? userId : undefined
  } catch {
    return
  }
}

function tooManyFailures(seconds: number): ApiError {
  return ApiError.of('too_many_requests', {
    longMessage: `Too many requests with an invalid secret key from this address. Please try again in ${seconds} seconds.`,
    meta: { retry_after_seconds: seconds },
  })
}

/**
 * Sends JSON with Clerk's exact content type. A Buffer payload stops Fastify appending
 * `; charset=utf-8`, which makes `@clerk/backend` read the body as text.
 */
export function sendJson(reply: FastifyReply, status: number, body: unknown) {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .send(Buffer.from(JSON.stringify(body), 'utf8'))
}
