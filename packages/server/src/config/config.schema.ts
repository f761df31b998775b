import * as z from 'zod'

const onOff = z.enum(['on', 'off'])
const seconds = z.coerce.number().int().positive()

/**
 * Environment variables Latchkey reads, validated once at boot. Every variable is documented in
 * the README's configuration table.
 */
export const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  // Loopback unless said otherwise: a development server is not reachable from the network by
  // accident. Containers and servers set HOST=0.0.0.0 (the Dockerfile does).
  HOST: z.string().min(1).default('127.0.0.1'),
  LATCHKEY_URL: z.url({ protocol: /^https?$/ }).optional(),
  LATCHKEY_DATA_DIR: z.string().min(1).default('./.latchkey'),
  // WebAuthn's relying-party ID: a domain (no scheme, port or path), e.g. example.com.
  LATCHKEY_PASSKEY_RP_ID: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(localhost|([a-z0-9-]+\.)+[a-z0-9-]+)$/, 'must be a domain name, e.g. example.com')
    .optional(),
  LATCHKEY_DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:<path> or postgres://…')
    .optional(),
  LATCHKEY_SECRET_KEY: z
    .string()
    .regex(
      /^sk_(live|test)_[A-Za-z0-9_-]{16,}$/,
      'must look like sk_live_ followed by at least 16 characters',
    )
    .optional(),
  LATCHKEY_ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=?$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional(),
  LATCHKEY_ALLOWED_ORIGINS: z.string().default(''),
  LATCHKEY_RATE_LIMIT: onOff.default('on'),
  // These four are defaults: `PATCH /v1/instance/session_settings` and `/v1/instance/user_lockout`
  // store values that override them (instance/session-settings.ts, instance/lockout-settings.ts).
  LATCHKEY_SESSION_LIFETIME: seconds.default(7 * 24 * 3600),
  LATCHKEY_SESSION_INACTIVITY_TIMEOUT: seconds.default(7 * 24 * 3600),
  LATCHKEY_LOCKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(100),
  LATCHKEY_LOCKOUT_SECONDS: seconds.default(3600),
  LATCHKEY_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(100 * 1024),
  /** `off`, or the reverse proxies' addresses: parsed by load-config.ts `parseTrustProxy`. */
  LATCHKEY_TRUST_PROXY: z.string().trim().default('off'),
  LATCHKEY_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).default(1),
  LATCHKEY_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(256).optional(),
  /**
   * Clerk's browser bundles served at /npm/@clerk/… (comma-separated `name@x.y.z`, each vendored in
   * packages/server/vendor/npm/), or `off`. Parsed by load-config.ts `parseClerkBundles`.
   */
  LATCHKEY_CLERK_BUNDLES: z
    .string()
    .trim()
    .default('@clerk/clerk-js@6.40.0,@clerk/clerk-js@5.128.0,@clerk/ui@1.34.0'),
  /** Where mail goes: `smtp://` or `smtps://` (TLS from the first byte), with `user:pass@` if the relay wants it. */
  LATCHKEY_SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** The From header of every message; default `Latchkey <no-reply@<LATCHKEY_URL's host>>`. */
  LATCHKEY_EMAIL_FROM: z
    .string()
    .trim()
    .regex(/^[^\r\n@]*[^\s@<>]+@[^\s@<>]+>?$/, 'must be an address, e.g. Acme <no-reply@acme.com>')
    .optional(),
  /**
   * URLs the server itself fetches or posts to (webhook endpoints, SAML IdP metadata) on
   * loopback, private or link-local addresses (refused by default, against server-side request
   * forgery): `off`, `on` (any address), or the IPs / CIDR ranges allowed. Parsed by
   * load-config.ts `parseAllowPrivate`.
   */
  LATCHKEY_OUTBOUND_ALLOW_PRIVATE: z.string().trim().optional(),
  /** The former name of LATCHKEY_OUTBOUND_ALLOW_PRIVATE, still read (same meaning). */
  LATCHKEY_WEBHOOK_ALLOW_PRIVATE: z.string().trim().optional(),
  /** Days webhook events, deliveries and attempts are kept. */
  LATCHKEY_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Seconds an endpoint has to answer one delivery attempt. */
  LATCHKEY_WEBHOOK_TIMEOUT: z.coerce.number().int().min(1).max(120).default(15),
  LATCHKEY_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
})

export type Env = z.infer<typeof EnvSchema>

/** The validated, frozen configuration the server runs with. */
export type Config = {
  readonly port: number
  readonly host: string
  /** Public base URL of the Frontend API, without a trailing slash: the token issuer. */
  readonly url: string
  readonly dataDir: string
  readonly databaseUrl: string
  readonly secretKey: string | undefined
  /** 32 bytes; when absent the server generates one into the data directory. */
  readonly encryptionKey: Uint8Array | undefined
  readonly allowedOrigins: readonly string[]
  /** LATCHKEY_PASSKEY_RP_ID: the passkeys' relying-party ID; unset, derived from `url`. */
  readonly passkeyRpId: string | undefined
  readonly rateLimit: boolean
  readonly sessionLifetimeSeconds: number
  readonly sessionInactivitySeconds: number
  readonly lockoutAttempts: number
  readonly lockoutSeconds: number
  readonly bodyLimit: number
  /**
   * The addresses (IPs, CIDR ranges, or `loopback` / `linklocal` / `uniquelocal`) of the reverse
   * proxies whose `X-Forwarded-For` entry is believed; empty when no proxy is trusted.
   */
  readonly trustProxy: readonly string[]
  readonly logLevel: Env['LATCHKEY_LOG_LEVEL']
  /**
   * Clerk's browser bundles this server serves (`LATCHKEY_CLERK_BUNDLES`): at most one version of
   * each package per major version, which its major-version path (`@clerk/clerk-js@6`) names.
   */
  readonly clerkBundles: readonly { readonly name: string; readonly version: string }[]
  /** The SMTP relay (`LATCHKEY_SMTP_URL`); without one, mail goes to the dev mailbox (mail/). */
  readonly smtpUrl: string | undefined
  /** The From header of every message (`LATCHKEY_EMAIL_FROM`). */
  readonly emailFrom: string
  /** HTTP worker processes (node:cluster); 1 serves from the main process. */
  readonly workers: number
  /**
   * Addresses the server's own requests (webhook deliveries, SAML IdP metadata) may go to beyond
   * public ones: `all`, or IPs / CIDR ranges (`LATCHKEY_OUTBOUND_ALLOW_PRIVATE`); empty: public
   * addresses only.
   */
  readonly outboundAllowPrivate: 'all' | readonly string[]
  /** How long webhook events, deliveries and attempts are kept, in ms. */
  readonly webhookRetentionMs: number
  /** How long one delivery attempt may take, in ms. */
  readonly webhookTimeoutMs: number
  /** Password hashes one process runs at once (default: its share of the cores, at least 1). */
  readonly hashConcurrency: number
}
