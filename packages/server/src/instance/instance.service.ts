import { encodePublishableKey, type InstanceId, newId } from '@latchkey/contracts'
import { fromDbJson, isUniqueViolation } from '@latchkey/db'
import type { Config } from '../config/config.schema.js'
import { isObject } from '../lib/json.js'
import type { ServiceDeps } from '../service-deps.js'
import type { Json } from '../templates/shortcodes.js'
import type { EnvironmentInput } from './environment.document.js'
import * as repo from './instance.repository.js'
import {
  effectiveLockout,
  LOCKOUT_SETTINGS_DEFAULTS,
  type Lockout,
  type LockoutSettings,
  readLockoutSettings,
} from './lockout-settings.js'
import { MFA_REQUIRED_DEFAULT, readMfaRequired } from './mfa-settings.js'
import {
  REVERIFICATION_DEFAULTS,
  type ReverificationSettings,
  readReverificationSettings,
} from './reverification-settings.js'
import {
  readSecondFactorSettings,
  SECOND_FACTOR_DEFAULTS,
  type SecondFactorSettings,
} from './second-factor-settings.js'
import {
  effectiveSessionLifetimes,
  readSessionSettings,
  SESSION_SETTINGS_DEFAULTS,
  type SessionLifetimes,
  type SessionSettings,
} from './session-settings.js'
import {
  FIRST_FACTOR_DEFAULTS,
  type FirstFactorSettings,
  RESTRICTION_DEFAULTS,
  type RestrictionSettings,
  readFirstFactorSettings,
  readRestrictionSettings,
  readSignUpSettings,
  SIGN_UP_DEFAULTS,
  type SignUpSettings,
} from './sign-up-settings.js'

/** Instance settings kept in the database (changeable at run time through the Backend API). */
export type InstanceSettings = {
  allowed_origins: string[]
  /** Custom claims merged into every session token (shortcodes allowed). */
  session_token_claims: { [key: string]: Json }
  oauth: OAuthSettings
  paths: InstancePaths
  /** The app's name as the prebuilt UI shows it ("to continue to …"). */
  application_name: string
  /**
   * Whether users may delete their own account (`DELETE /v1/me`; Clerk's dashboard setting
   * "Allow users to delete their accounts", on by default).
   */
  delete_self_enabled: boolean
  sign_up: SignUpSettings
  first_factors: FirstFactorSettings
  restrictions: RestrictionSettings
  second_factors: SecondFactorSettings
  /** Step-up before sensitive account actions (issue #17; ./reverification-settings.ts). */
  reverification: ReverificationSettings
  /** Every user must enrol a second factor (instance/mfa-settings.ts). */
  mfa_required: boolean
  /**
   * Who sends the instance's mail: `latchkey` (the default: the SMTP relay or the dev mailbox),
   * or `webhook_only` (the operator's own provider, from the `email.created` webhook event,
   * Clerk's `delivered_by_clerk: false`; Latchkey sends nothing).
   */
  email_delivery: EmailDelivery
  /** Session lifetimes; `null` fields follow the environment (./session-settings.ts). */
  sessions: SessionSettings
  /** Account lockout; `null` fields follow the environment (./lockout-settings.ts). */
  lockout: LockoutSettings
}

export type EnvironmentDefaults = Pick<
  Config,
  'sessionLifetimeSeconds' | 'sessionInactivitySeconds' | 'lockoutAttempts' | 'lockoutSeconds'
>

export const EMAIL_DELIVERY = ['latchkey', 'webhook_only'] as const
export type EmailDelivery = (typeof EMAIL_DELIVERY)[number]

export const DEFAULT_APPLICATION_NAME = 'Latchkey'

/**
 * Where the browser SDKs send people (Clerk's account-portal paths). `null` means the default:
 * the hosted pages on this server, and the home URL after signing in or up.
 */
export type InstancePaths = {
  home_url: string | null
  sign_in_url: string | null
  sign_up_url: string | null
  user_profile_url: string | null
  after_sign_in_url: string | null
  after_sign_up_url: string | null
  after_sign_out_url: string | null
}
export const PATH_KEYS = [
  'home_url',
  'sign_in_url',
  'sign_up_url',
  'user_profile_url',
  'after_sign_in_url',
  'after_sign_up_url',
  'after_sign_out_url',
] as const satisfies readonly (keyof InstancePaths)[]

function readPaths(raw: unknown): InstancePaths {
  const o = isObject(raw) ? raw : {}
  const out = {} as InstancePaths
  for (const k of PATH_KEYS) out[k] = typeof o[k] === 'string' ? (o[k] as string) : null
  return out
}

/** The OAuth 2 provider's instance settings (lifetimes in seconds). */
export type OAuthSettings = {
  dynamic_oauth_client_registration: boolean
  access_token_lifetime: number
  refresh_token_lifetime: number
  authorization_code_lifetime: number
}

/** Clerk's OAuth defaults: access token 2 hours, refresh token 3 days, code 10 minutes. */
export const OAUTH_DEFAULTS: OAuthSettings = {
  dynamic_oauth_client_registration: false,
  access_token_lifetime: 7200,
  refresh_token_lifetime: 3 * 24 * 3600,
  authorization_code_lifetime: 600,
}

function readOAuthSettings(raw: unknown): OAuthSettings {
  const o = isObject(raw) ? raw : {}
  const seconds = (key: keyof OAuthSettings) => {
    const v = o[key]
    return typeof v === 'number' && Number.isInteger(v) && v > 0
      ? v
      : (OAUTH_DEFAULTS[key] as number)
  }
  return {
    dynamic_oauth_client_registration: o.dynamic_oauth_client_registration === true,
    access_token_lifetime: seconds('access_token_lifetime'),
    refresh_token_lifetime: seconds('refresh_token_lifetime'),
    authorization_code_lifetime: seconds('authorization_code_lifetime'),
  }
}

/**
 * Settings are re-read at once when the change feed announces `instance:<id>` (migration 0033),
 * and at most this often while the feed cannot be trusted (PostgreSQL's listener reconnecting,
 * inside a transaction), so a change made on one process reaches the others.
 */
const SETTINGS_TTL_MS = 5_000

/** What the first boot made: printed once by main.ts. */
export type Bootstrap = {
  instanceId: InstanceId
  created: boolean
  generatedSecretKey?: string
  /** Where the generated secret key was written (mode 0600), for the operator to collect. */
  secretKeyFile?: string
}

export class InstanceService {
  private readonly d: ServiceDeps
  #id: InstanceId | undefined
  #settings: { value: InstanceSettings; readAt: number } | undefined
  /** The change feed announced a change to the settings since they were read. */
  #stale = false
  /** This server's own origin, parsed once: every Frontend API call asks. */
  #ownOrigin: string | undefined

  constructor(deps: ServiceDeps) {
    this.d = deps
    deps.changes.subscribe((key) => {
      if (key === undefined || key.startsWith('instance:')) this.#stale = true
    })
  }

  /**
   * Creates the instance, its first signing key and (unless `LATCHKEY_SECRET_KEY` provisions one)
   * a secret key, in one transaction. Several processes booting at once on PostgreSQL race on the
   * singleton's unique index; the losers read the winner's instance.
   */
  async bootstrap(): Promise<Bootstrap> {
    const existing = await repo.findInstance(this.d.db)
    if (existing) {
      this.#id = existing.id as InstanceId
      return { instanceId: this.#id, created: false }
    }
    const now = this.d.clock.now()
    const id = newId('instance')
    let secretKey: string | undefined
    try {
      await this.d.db.transaction().execute(async (trx) => {
        await repo.insertInstance(trx, {
          id,
          singleton: 1,
          settings: JSON.stringify({
            allowed_origins: [],
            session_token_claims: {},
            oauth: OAUTH_DEFAULTS,
            paths: readPaths({}),
            application_name: DEFAULT_APPLICATION_NAME,
            delete_self_enabled: true,
            sign_up: SIGN_UP_DEFAULTS,
            first_factors: FIRST_FACTOR_DEFAULTS,
            restrictions: RESTRICTION_DEFAULTS,
            second_factors: SECOND_FACTOR_DEFAULTS,
            reverification: REVERIFICATION_DEFAULTS,
            mfa_required: MFA_REQUIRED_DEFAULT,
            email_delivery: 'latchkey',
            sessions: SESSION_SETTINGS_DEFAULTS,
            lockout: LOCKOUT_SETTINGS_DEFAULTS,
          } satisfies InstanceSettings),
          created_at: now,
          updated_at: now,
        })
        await this.d.services.keys.createInitialKey(trx)
        if (!this.d.config.secretKey)
          secretKey = (await this.d.services.secretKeys.issue(trx)).secret
      })
    } catch (error) {
      if (!isUniqueViolation(error)) throw error
      return this.bootstrap()
    }
    this.#id = id
    return {
      instanceId: id,
      created: true,
      ...(secretKey ? { generatedSecretKey: secretKey } : {}),
    }
  }

  /** LATCHKEY_URL: the Frontend API's public base URL. */
  get baseUrl(): string {
    return this.d.config.url
  }

  get id(): InstanceId {
    if (!this.#id) throw new Error('instance not bootstrapped')
    return this.#id
  }

  /** `pk_live_` + base64 of the Frontend API host. */
  publishableKey(): string {
    return encodePublishableKey(new URL(this.d.config.url).host)
  }

  async settings(): Promise<InstanceSettings> {
    const now = this.d.clock.now()
    const cached = this.#settings
    // Catch up with the feed first: a change announced by any process marks the cache stale.
    const trusted = this.d.changes.sync()
    if (cached && !this.#stale && (trusted || now - cached.readAt < SETTINGS_TTL_MS))
      return cached.value
    // A change announced while the row is read marks it stale again: the next call re-reads.
    this.#stale = false
    const row = await repo.findInstance(this.d.db)
    const raw = fromDbJson(row?.settings)
    const value: InstanceSettings = {
      allowed_origins: Array.isArray(raw.allowed_origins)
        ? raw.allowed_origins.filter((o) => typeof o === 'string')
        : [],
      session_token_claims: isObject(raw.session_token_claims)
        ? (raw.session_token_claims as { [key: string]: Json })
        : {},
      oauth: readOAuthSettings(raw.oauth),
      paths: readPaths(raw.paths),
      application_name:
        typeof raw.application_name === 'string' ? raw.application_name : DEFAULT_APPLICATION_NAME,
      delete_self_enabled: raw.delete_self_enabled !== false,
      sign_up: readSignUpSettings(raw.sign_up),
      first_factors: readFirstFactorSettings(raw.first_factors),
      restrictions: readRestrictionSettings(raw.restrictions),
      second_factors: readSecondFactorSettings(raw.second_factors),
      reverification: readReverificationSettings(raw.reverification),
      mfa_required: readMfaRequired(raw.mfa_required),
      email_delivery: raw.email_delivery === 'webhook_only' ? 'webhook_only' : 'latchkey',
      sessions: readSessionSettings(raw.sessions),
      lockout: readLockoutSettings(raw.lockout),
    }
    this.#settings = { value, readAt: now }
    return value
  }

  async updateSettings(patch: Partial<InstanceSettings>): Promise<void> {
    const next = { ...(await this.settings()), ...patch }
    await repo.updateInstanceSettings(this.d.db, JSON.stringify(next), this.d.clock.now())
    this.#settings = { value: next, readAt: this.d.clock.now() }
  }

  /** Whether the database answers (within 2 s): what `GET /v1/health` reports. */
  async healthy(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), 2000)
    })
    try {
      return await Promise.race([repo.ping(this.d.db).then(() => true), timeout])
    } catch {
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  /** The settings last read by this process (at most 5 s old while requests come), if any. */
  get lastSettings(): InstanceSettings | undefined {
    return this.#settings?.value
  }

  /** The environment's session and lockout values: what settings left `null` follow. */
  get environmentDefaults(): EnvironmentDefaults {
    return this.d.config
  }

  /** The session lifetimes new sessions get: the settings', else the environment's. */
  async sessionLifetimes(): Promise<SessionLifetimes> {
    return effectiveSessionLifetimes(this.d.config, (await this.settings()).sessions)
  }

  /**
   * The same, from the settings this process last read, for synchronous callers that read the
   * settings earlier in the same request (a new session is made after `tasksFor` read them).
   */
  lastSessionLifetimes(): SessionLifetimes {
    return effectiveSessionLifetimes(this.d.config, this.#settings?.value.sessions)
  }

  /** The lockout in force: the settings', else the environment's. */
  async lockout(): Promise<Lockout> {
    return effectiveLockout(this.d.config, (await this.settings()).lockout)
  }

  /** The same, from the settings this process last read (see {@link lastSessionLifetimes}). */
  lastLockout(): Lockout {
    return effectiveLockout(this.d.config, this.#settings?.value.lockout)
  }

  /** What `/v1/environment` is built from. */
  async environmentInput(): Promise<EnvironmentInput> {
    const settings = await this.settings()
    const lockout = effectiveLockout(this.d.config, settings.lockout)
    return {
      instanceId: this.id,
      paths: await this.paths(),
      applicationName: settings.application_name,
      deleteSelfEnabled: settings.delete_self_enabled,
      lockout: { maxAttempts: lockout.attempts, durationMinutes: Math.ceil(lockout.seconds / 60) },
      signUp: settings.sign_up,
      firstFactors: settings.first_factors,
      restrictions: settings.restrictions,
      secondFactors: settings.second_factors,
      reverification: settings.reverification.enabled,
      mfaRequired: settings.mfa_required,
    }
  }

  /** Every path with its default filled in: what `/v1/environment` and the hosted pages use. */
  async paths(): Promise<{ [K in keyof InstancePaths]: string }> {
    const p = (await this.settings()).paths
    const url = this.d.config.url
    const home = p.home_url ?? url
    const signIn = p.sign_in_url ?? `${url}/sign-in`
    return {
      home_url: home,
      sign_in_url: signIn,
      sign_up_url: p.sign_up_url ?? `${url}/sign-up`,
      user_profile_url: p.user_profile_url ?? `${url}/user`,
      after_sign_in_url: p.after_sign_in_url ?? home,
      after_sign_up_url: p.after_sign_up_url ?? home,
      after_sign_out_url: p.after_sign_out_url ?? signIn,
    }
  }

  /** Origins allowed to call the Frontend API with credentials: env plus instance settings. */
  async isAllowedOrigin(origin: string): Promise<boolean> {
    this.#ownOrigin ??= new URL(this.d.config.url).origin
    if (origin === this.#ownOrigin) return true
    if (this.d.config.allowedOrigins.includes(origin)) return true
    return (await this.settings()).allowed_origins.includes(origin)
  }

  async toJSON() {
    const settings = await this.settings()
    return {
      object: 'instance' as const,
      id: this.id,
      environment_type: 'production',
      allowed_origins: [...new Set([...this.d.config.allowedOrigins, ...settings.allowed_origins])],
      // Latchkey addition: the origins LATCHKEY_ALLOWED_ORIGINS names. They are allowed whatever
      // PATCH sets, and only the server's environment removes them.
      configured_allowed_origins: [...this.d.config.allowedOrigins],
      application_name: settings.application_name,
      // Latchkey addition: whether users may delete their own accounts (PATCH the same field).
      delete_self_enabled: settings.delete_self_enabled,
      // Latchkey addition: who sends the instance's mail (see email_delivery).
      email_delivery: settings.email_delivery,
      workspace_id: null,
      // Latchkey additions (the dashboard's overview, issue #20): what an app is configured with.
      frontend_api_url: this.d.config.url,
      publishable_key: this.publishableKey(),
    }
  }
}
