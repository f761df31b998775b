import { Buffer } from 'node:buffer'
import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { isVendored } from '../clerk-bundles/vendor-dir.js'
import type { Config } from './config.schema.js'
import { EnvSchema } from './config.schema.js'

/** A configuration problem: every bad variable, named. */
export class ConfigError extends Error {
  readonly issues: readonly string[]

  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/**
 * Parses the environment once. Reports every bad variable at once and returns a frozen config.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env)
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  const e = parsed.data
  const issues: string[] = []
  const origins = e.LATCHKEY_ALLOWED_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const allowedOrigins: string[] = []
  for (const o of origins) {
    const origin = parseOrigin(o)
    if (origin) allowedOrigins.push(origin)
    else issues.push(`LATCHKEY_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an http(s) origin`)
  }
  const workers = e.LATCHKEY_WORKERS === 'auto' ? availableParallelism() : e.LATCHKEY_WORKERS
  const databaseUrl =
    e.LATCHKEY_DATABASE_URL ?? `sqlite:${join(e.LATCHKEY_DATA_DIR, 'latchkey.db')}`
  const trustProxy = parseTrustProxy(e.LATCHKEY_TRUST_PROXY)
  if (typeof trustProxy === 'string') issues.push(`LATCHKEY_TRUST_PROXY: ${trustProxy}`)
  if (workers > 1 && databaseUrl === 'sqlite::memory:') {
    issues.push('LATCHKEY_WORKERS: several workers cannot share an in-memory SQLite database')
  }
  if (e.LATCHKEY_URL !== undefined) {
    const problem = urlProblem(e.LATCHKEY_URL)
    if (problem) issues.push(`LATCHKEY_URL: ${problem}`)
  }
  const clerkBundles = parseClerkBundles(e.LATCHKEY_CLERK_BUNDLES)
  if (typeof clerkBundles === 'string') issues.push(`LATCHKEY_CLERK_BUNDLES: ${clerkBundles}`)
  const allowPrivateVar =
    e.LATCHKEY_OUTBOUND_ALLOW_PRIVATE === undefined &&
    e.LATCHKEY_WEBHOOK_ALLOW_PRIVATE !== undefined
      ? 'LATCHKEY_WEBHOOK_ALLOW_PRIVATE'
      : 'LATCHKEY_OUTBOUND_ALLOW_PRIVATE'
  const allowPrivate = parseAllowPrivate(
    e.LATCHKEY_OUTBOUND_ALLOW_PRIVATE ?? e.LATCHKEY_WEBHOOK_ALLOW_PRIVATE ?? 'off',
  )
  if (typeof allowPrivate === 'string') issues.push(`${allowPrivateVar}: ${allowPrivate}`)
  if (
    e.LATCHKEY_OUTBOUND_ALLOW_PRIVATE !== undefined &&
    e.LATCHKEY_WEBHOOK_ALLOW_PRIVATE !== undefined &&
    e.LATCHKEY_OUTBOUND_ALLOW_PRIVATE !== e.LATCHKEY_WEBHOOK_ALLOW_PRIVATE
  )
    issues.push(
      'LATCHKEY_WEBHOOK_ALLOW_PRIVATE: is the former name of LATCHKEY_OUTBOUND_ALLOW_PRIVATE; set one of them, or both to the same value',
    )
  if (issues.length > 0) throw new ConfigError(issues)
  const url = (e.LATCHKEY_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '')
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    url,
    dataDir: e.LATCHKEY_DATA_DIR,
    databaseUrl,
    secretKey: e.LATCHKEY_SECRET_KEY,
    encryptionKey: e.LATCHKEY_ENCRYPTION_KEY
      ? new Uint8Array(Buffer.from(e.LATCHKEY_ENCRYPTION_KEY, 'base64'))
      : undefined,
    allowedOrigins: Object.freeze(allowedOrigins),
    passkeyRpId: e.LATCHKEY_PASSKEY_RP_ID,
    rateLimit: e.LATCHKEY_RATE_LIMIT === 'on',
    sessionLifetimeSeconds: e.LATCHKEY_SESSION_LIFETIME,
    sessionInactivitySeconds: e.LATCHKEY_SESSION_INACTIVITY_TIMEOUT,
    lockoutAttempts: e.LATCHKEY_LOCKOUT_ATTEMPTS,
    lockoutSeconds: e.LATCHKEY_LOCKOUT_SECONDS,
    bodyLimit: e.LATCHKEY_BODY_LIMIT,
    trustProxy: Object.freeze(typeof trustProxy === 'string' ? [] : trustProxy),
    logLevel: e.LATCHKEY_LOG_LEVEL,
    clerkBundles: Object.freeze(typeof clerkBundles === 'string' ? [] : clerkBundles),
    smtpUrl: e.LATCHKEY_SMTP_URL,
    emailFrom: e.LATCHKEY_EMAIL_FROM ?? `Latchkey <no-reply@${new URL(url).hostname}>`,
    workers,
    outboundAllowPrivate:
      typeof allowPrivate === 'object' && !Array.isArray(allowPrivate)
        ? 'all'
        : Object.freeze(Array.isArray(allowPrivate) ? allowPrivate : []),
    webhookRetentionMs: e.LATCHKEY_WEBHOOK_RETENTION_DAYS * 86_400_000,
    webhookTimeoutMs: e.LATCHKEY_WEBHOOK_TIMEOUT * 1000,
    hashConcurrency:
      e.LATCHKEY_HASH_CONCURRENCY ?? Math.max(1, Math.floor(availableParallelism() / workers)),
  })
}

/**
 * `off`, or `@clerk/<name>@x.y.z` entries each naming a vendored bundle (checked here, so a
 * missing one stops the boot rather than answering 404 later); or why not.
 */
export function parseClerkBundles(raw: string): { name: string; version: string }[] | string {
  if (raw === 'off' || raw === '') return []
  const out: { name: string; version: string }[] = []
  for (const item of raw.split(',').map((s) => s.trim())) {
    const m = /^(@clerk\/[a-z][a-z-]*)@(\d+)\.(\d+)\.(\d+)$/.exec(item)
    if (!m) return `${JSON.stringify(item)} is not @clerk/<package>@<x.y.z> (or set off)`
    const [, name = '', major] = m
    const version = item.slice(name.length + 1)
    if (out.some((b) => b.name === name && b.version.split('.')[0] === major))
      return `two versions of ${name}@${major}: its major-version path could name only one`
    if (!isVendored(name, version))
      return `${item} is not vendored (node packages/server/scripts/vendor-clerk.mjs ${item})`
    out.push({ name, version })
  }
  return out
}

/**
 * Why a public URL cannot be Latchkey's, or undefined. It must be an origin: the publishable key
 * names a host and Clerk's SDKs call `/v1/…` at its root, session cookies live on `/`, and the
 * issuer of every token is this URL, so a path (`https://example.com/auth`) would half work.
 * Serve Latchkey on its own host (`auth.example.com`) instead.
 */
export function urlProblem(value: string): string | undefined {
  const u = new URL(value)
  if (u.pathname !== '/' && u.pathname !== '')
    return `must be an origin without a path (got path ${JSON.stringify(u.pathname)}): serve Latchkey at the root of its own host, e.g. https://auth.example.com`
  if (u.search || u.hash) return 'must not have a query or a fragment'
  if (u.username || u.password) return 'must not carry credentials'
  return undefined
}

/**
 * `LATCHKEY_OUTBOUND_ALLOW_PRIVATE` (formerly `LATCHKEY_WEBHOOK_ALLOW_PRIVATE`): `off` (public
 * addresses only), `on` / `1` (any: a development machine, a test), or a comma-separated list of
 * IPs and CIDR ranges the operator's own receivers and IdPs live on (`10.0.5.0/24, fd00::/8`).
 * Returns `{ all: true }`, the list, or why not.
 */
export function parseAllowPrivate(value: string): { all: true } | string[] | string {
  if (value === '' || value === 'off' || value === '0') return []
  if (value === 'on' || value === '1' || value === 'true') return { all: true }
  const entries = value.split(',').map((s) => s.trim())
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const bits = prefix === undefined ? 0 : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1
    if (family === 0 || rest.length > 0 || bits < 0 || bits > (family === 4 ? 32 : 128))
      return `${JSON.stringify(entry)} is not an IP address or a CIDR range (e.g. 10.0.5.0/24), or on / off`
  }
  return entries
}

/** proxy-addr's named ranges, which Fastify's `trustProxy` accepts beside addresses. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal'])
const PROXY_EXAMPLE = 'e.g. 127.0.0.1, 10.0.0.0/8 or uniquelocal'

/**
 * `LATCHKEY_TRUST_PROXY`: `off`, or a comma-separated list of the addresses the reverse proxies
 * connect from. Returns the list, or a message saying what is wrong. A connection from a listed
 * address has its `X-Forwarded-For` believed, right to left, up to the first address that is not
 * a listed proxy: that one is the client. Refused: `on` (it believed the left-most entry, which
 * the client writes itself), hop counts (a count cannot tell the proxy from a client connecting
 * directly; Fastify 5.12.1 dropped them for that reason, GHSA-3m5p-2c4r-xxw2) and `/0` ranges
 * (every address, the same as `on`).
 */
export function parseTrustProxy(value: string): string[] | string {
  if (value === '' || value === 'off') return []
  if (value === 'on' || value === 'true')
    return `"${value}" would believe the left-most X-Forwarded-For entry, which any client writes itself; list the address(es) your reverse proxy connects from instead (${PROXY_EXAMPLE})`
  if (/^\d+$/.test(value))
    return `a hop count cannot tell your proxy from a client connecting directly; list the address(es) your reverse proxy connects from instead (${PROXY_EXAMPLE})`
  const entries = value.split(',').map((s) => s.trim())
  for (const entry of entries) {
    const problem = proxyEntryProblem(entry)
    if (problem) return `${JSON.stringify(entry)} ${problem} (${PROXY_EXAMPLE})`
  }
  return entries
}

function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_RANGES.has(entry)) return undefined
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0)
    return 'is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'
  if (prefix === undefined) return undefined
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1
  if (bits < 0 || bits > (family === 4 ? 32 : 128)) return 'has an invalid prefix length'
  if (bits === 0) return 'trusts every address, so any client could choose its own IP'
  return undefined
}

/** `https://app.example.com/` → `https://app.example.com`; anything else → undefined. */
export function parseOrigin(value: string): string | undefined {
  try {
    const u = new URL(value)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined
    return u.origin
  } catch {
    return undefined
  }
}
