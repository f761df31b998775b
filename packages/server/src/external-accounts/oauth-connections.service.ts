import { ApiError, newId } from '@latchkey/contracts'
import { type Database, fromDbBool, type OAuthConnectionRow, toDbBool } from '@latchkey/db'
import type { Kysely } from 'kysely'
import * as oidc from 'openid-client'
import type { Clock } from '../lib/clock.js'
import type { SecretBox } from '../lib/crypto.js'
import * as repo from './external-accounts.repository.js'

/**
 * `google`, `microsoft`, or `custom_<slug>` for any OpenID Connect provider by issuer: the
 * strategy is `oauth_<key>`, Clerk's names (`oauth_custom_<slug>` is how Clerk names a custom
 * provider, and what clerk-js accepts as one).
 */
export const PROVIDER_KEY = /^(google|microsoft|custom_[a-z0-9][a-z0-9_-]{0,39})$/

/** Issuers Latchkey knows; Microsoft's is per tenant, so the operator names it. */
const KNOWN_ISSUERS: Record<string, string> = { google: 'https://accounts.google.com' }
const DEFAULT_SCOPES = 'openid email profile'
/** Discovery documents are re-read this often (providers rotate keys and endpoints rarely). */
const DISCOVERY_TTL_MS = 3_600_000

export type ConnectionInput = {
  provider?: string | undefined
  issuer?: string | undefined
  clientId?: string | undefined
  clientSecret?: string | undefined
  scopes?: string | undefined
  enabled?: boolean | undefined
}

type Deps = { db: Kysely<Database>; clock: Clock; box: SecretBox }

/**
 * The operator's upstream OpenID Connect providers (issue #18): each a provider key, an issuer
 * found by discovery, a client id and secret (sealed, the connection id as AAD, never rendered),
 * scopes and a switch. Google and Microsoft are this same generic code with their issuers; the
 * relying party is `openid-client` (OpenID Certified), never a hand-written one.
 */
export class OAuthConnectionsService {
  readonly #d: Deps
  readonly #configs = new Map<
    string,
    { at: number; key: string; config: Promise<oidc.Configuration> }
  >()

  constructor(deps: Deps) {
    this.#d = deps
  }

  list(): Promise<OAuthConnectionRow[]> {
    return repo.listConnections(this.#d.db)
  }

  async get(id: string): Promise<OAuthConnectionRow> {
    const row = await repo.findConnection(this.#d.db, id)
    if (!row) throw ApiError.of('resource_not_found', { longMessage: `No connection ${id}.` })
    return row
  }

  /** The enabled connection for `oauth_<provider>`, or undefined. */
  async findEnabled(provider: string): Promise<OAuthConnectionRow | undefined> {
    const row = await repo.findConnectionByProvider(this.#d.db, provider)
    return row && fromDbBool(row.enabled) ? row : undefined
  }

  /**
   * `user_settings.social` of the environment (fapi spec `UserSettings.Social`): one entry per
   * enabled connection, which clerk-js turns into a "Continue with …" button.
   */
  async socialSettings(): Promise<Record<string, unknown>> {
    const rows = (await this.list()).filter((r) => fromDbBool(r.enabled))
    return Object.fromEntries(
      rows.map((r) => [
        `oauth_${r.provider}`,
        {
          enabled: true,
          required: false,
          authenticatable: true,
          block_email_subaddresses: false,
          strategy: `oauth_${r.provider}`,
          not_selectable: false,
          deprecated: false,
          name: displayName(r.provider),
          logo_url: null,
        },
      ]),
    )
  }

  /** Creates a connection after its issuer's discovery document was read and checked. */
  async create(input: ConnectionInput): Promise<OAuthConnectionRow> {
    const provider = input.provider ?? ''
    if (!PROVIDER_KEY.test(provider))
      throw invalid('provider', 'google, microsoft or custom_<slug>')
    if (await repo.findConnectionByProvider(this.#d.db, provider))
      throw ApiError.of('form_identifier_exists', {
        longMessage: `A connection for ${provider} exists already.`,
        meta: { param_name: 'provider' },
      })
    const issuer = input.issuer ?? KNOWN_ISSUERS[provider]
    if (!issuer) throw ApiError.of('form_param_missing', { meta: { param_name: 'issuer' } })
    if (!input.clientId)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'client_id' } })
    if (!input.clientSecret)
      throw ApiError.of('form_param_missing', { meta: { param_name: 'client_secret' } })
    const now = this.#d.clock.now()
    const id = newId('oauthConnection')
    const row: OAuthConnectionRow = {
      id,
      provider,
      issuer: checkIssuer(issuer),
      client_id: input.clientId,
      client_secret_sealed: this.#d.box.seal(input.clientSecret, id),
      scopes: scopesOf(input.scopes),
      enabled: toDbBool(input.enabled ?? true),
      created_at: now,
      updated_at: now,
    }
    await this.#discover(row)
    await repo.insertConnection(this.#d.db, row)
    return row
  }

  async update(id: string, input: ConnectionInput): Promise<OAuthConnectionRow> {
    const row = await this.get(id)
    const next: OAuthConnectionRow = {
      ...row,
      ...(input.issuer !== undefined ? { issuer: checkIssuer(input.issuer) } : {}),
      ...(input.clientId !== undefined ? { client_id: input.clientId } : {}),
      ...(input.clientSecret !== undefined
        ? { client_secret_sealed: this.#d.box.seal(input.clientSecret, id) }
        : {}),
      ...(input.scopes !== undefined ? { scopes: scopesOf(input.scopes) } : {}),
      ...(input.enabled !== undefined ? { enabled: toDbBool(input.enabled) } : {}),
      updated_at: Math.max(this.#d.clock.now(), row.updated_at + 1),
    }
    if (next.issuer !== row.issuer) await this.#discover(next)
    const { id: _, created_at: __, provider: ___, ...patch } = next
    await repo.updateConnection(this.#d.db, id, patch)
    return next
  }

  async delete(id: string): Promise<void> {
    if (!(await repo.deleteConnection(this.#d.db, id)))
      throw ApiError.of('resource_not_found', { longMessage: `No connection ${id}.` })
    this.#configs.delete(id)
  }

  /** The relying-party configuration (discovery + client credentials), cached per version. */
  clientConfig(row: OAuthConnectionRow): Promise<oidc.Configuration> {
    const key = `${row.updated_at}`
    const now = this.#d.clock.now()
    const cached = this.#configs.get(row.id)
    if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS) return cached.config
    const config = this.#discover(row)
    this.#configs.set(row.id, { at: now, key, config })
    config.catch(() => this.#configs.delete(row.id))
    return config
  }

  async #discover(row: OAuthConnectionRow): Promise<oidc.Configuration> {
    const issuer = new URL(row.issuer)
    const secret = this.#d.box.open(row.client_secret_sealed, row.id)
    try {
      return await oidc.discovery(
        issuer,
        row.client_id,
        secret,
        undefined,
        // Plain http only to a provider on this machine (a test or a local IdP); elsewhere TLS.
        isLoopback(issuer)
          ? { execute: [oidc.allowInsecureRequests], timeout: 10 }
          : { timeout: 10 },
      )
    } catch (error) {
      throw ApiError.of('form_param_value_invalid', {
        longMessage: `The issuer's discovery document could not be read or did not match: ${(error as Error).message}`,
        meta: { param_name: 'issuer' },
        cause: error,
      })
    }
  }
}

/** A connection as the Backend API shows it: the client secret never leaves the server. */
export function connectionJSON(row: OAuthConnectionRow) {
  return {
    object: 'oauth_connection' as const,
    id: row.id,
    provider: row.provider,
    strategy: `oauth_${row.provider}`,
    issuer: row.issuer,
    client_id: row.client_id,
    scopes: row.scopes,
    enabled: fromDbBool(row.enabled),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

const NAMES: Record<string, string> = { google: 'Google', microsoft: 'Microsoft' }

/** `custom_acme_id` → "Acme id": what a button says until connections carry a name. */
function displayName(provider: string): string {
  const slug = provider.replace(/^custom_/, '').replace(/[_-]+/g, ' ')
  return NAMES[provider] ?? slug.charAt(0).toUpperCase() + slug.slice(1)
}

const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)

function checkIssuer(issuer: string): string {
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    throw invalid('issuer', 'an https URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url)))
    throw invalid('issuer', 'an https URL')
  return issuer
}

function scopesOf(scopes: string | undefined): string {
  const list = [...new Set((scopes ?? DEFAULT_SCOPES).split(/[\s,]+/).filter(Boolean))]
  // The ID token is what proves the sign-in: `openid` is always asked for.
  if (!list.includes('openid')) list.unshift('openid')
  return list.join(' ')
}

const invalid = (param: string, what: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `${param} must be ${what}.`,
    meta: { param_name: param },
  })
