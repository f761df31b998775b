import { ApiError, newId } from '@latchkey/contracts'
import { type Database, fromDbBool, type OAuthConnectionRow, toDbBool } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type * as oidc from 'openid-client'
import type { Clock } from '../lib/clock.js'
import type { SecretBox } from '../lib/crypto.js'
import type { AddressPolicy } from '../webhooks/endpoint-address.js'
import * as repo from './external-accounts.repository.js'
import {
  ConnectionSettingError,
  type ConnectionSettings,
  findProvider,
  PROVIDER_KEYS,
  type Provider,
} from './providers/index.js'

/** Discovery documents are re-read this often (providers rotate keys and endpoints rarely). */
const DISCOVERY_TTL_MS = 3_600_000

export type ConnectionInput = {
  provider?: string | undefined
  issuer?: string | undefined
  clientId?: string | undefined
  clientSecret?: string | undefined
  scopes?: string | undefined
  enabled?: boolean | undefined
  /** Apple's team id, key id and private key (PEM, sealed like a client secret). */
  teamId?: string | undefined
  keyId?: string | undefined
  privateKey?: string | undefined
  /** A plain OAuth 2 provider's endpoints on loopback (a stand-in); null clears it. */
  endpointBaseUrl?: string | null | undefined
}

type Deps = { db: Kysely<Database>; clock: Clock; box: SecretBox; policy: AddressPolicy }

/** The only answer to a discovery that failed, for any reason. */
const DISCOVERY_FAILED =
  'The discovery document could not be read from that address or is not a valid OpenID Connect configuration for it.'

/**
 * The operator's upstream providers (issue #18): each a provider key (`providers/`: Google,
 * Microsoft, GitHub, GitLab, Discord, Apple, or any OpenID Connect issuer as `custom_<slug>`),
 * an issuer or web origin, a client id and secret (sealed, the connection id as AAD, never
 * rendered; Apple's private key in its place), scopes and a switch. The relying party is
 * `openid-client` (OpenID Certified) for every provider, never a hand-written one.
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

  /** The provider a stored connection is for (its key was checked when it was created). */
  providerOf(row: OAuthConnectionRow): Provider {
    const provider = findProvider(row.provider)
    if (!provider) throw new Error(`connection ${row.id} names no provider: ${row.provider}`)
    return provider
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
          name: this.providerOf(r).name,
          logo_url: null,
        },
      ]),
    )
  }

  /** Creates a connection after the provider is reached (discovery) and its settings checked. */
  async create(input: ConnectionInput): Promise<OAuthConnectionRow> {
    const key = input.provider ?? ''
    const provider = findProvider(key)
    if (!provider) throw invalid('provider', PROVIDER_KEYS)
    if (await repo.findConnectionByProvider(this.#d.db, key))
      throw ApiError.of('form_identifier_exists', {
        longMessage: `A connection for ${key} exists already.`,
        meta: { param_name: 'provider' },
      })
    const issuer = input.issuer ?? provider.defaultIssuer
    if (!issuer) throw missing('issuer')
    if (!input.clientId) throw missing('client_id')
    const secret = provider.secretParam === 'private_key' ? input.privateKey : input.clientSecret
    if (!secret) throw missing(provider.secretParam)
    await this.#check(provider, input, true)
    const now = this.#d.clock.now()
    const id = newId('oauthConnection')
    const row: OAuthConnectionRow = {
      id,
      provider: key,
      issuer,
      client_id: input.clientId,
      client_secret_sealed: this.#d.box.seal(secret, id),
      scopes: scopesOf(provider, input.scopes),
      enabled: toDbBool(input.enabled ?? true),
      team_id: input.teamId ?? null,
      key_id: input.keyId ?? null,
      endpoint_base_url: input.endpointBaseUrl ?? null,
      created_at: now,
      updated_at: now,
    }
    await this.#configure(row)
    await repo.insertConnection(this.#d.db, row)
    return row
  }

  async update(id: string, input: ConnectionInput): Promise<OAuthConnectionRow> {
    const row = await this.get(id)
    const provider = this.providerOf(row)
    await this.#check(provider, input, false)
    const secret = provider.secretParam === 'private_key' ? input.privateKey : input.clientSecret
    const next: OAuthConnectionRow = {
      ...row,
      ...(input.issuer !== undefined ? { issuer: input.issuer } : {}),
      ...(input.clientId !== undefined ? { client_id: input.clientId } : {}),
      ...(secret !== undefined ? { client_secret_sealed: this.#d.box.seal(secret, id) } : {}),
      ...(input.scopes !== undefined ? { scopes: scopesOf(provider, input.scopes) } : {}),
      ...(input.enabled !== undefined ? { enabled: toDbBool(input.enabled) } : {}),
      ...(input.teamId !== undefined ? { team_id: input.teamId } : {}),
      ...(input.keyId !== undefined ? { key_id: input.keyId } : {}),
      ...(input.endpointBaseUrl !== undefined ? { endpoint_base_url: input.endpointBaseUrl } : {}),
      updated_at: Math.max(this.#d.clock.now(), row.updated_at + 1),
    }
    const reach = ['issuer', 'endpoint_base_url', 'team_id', 'key_id', 'client_secret_sealed']
    if (
      reach.some((k) => next[k as keyof OAuthConnectionRow] !== row[k as keyof OAuthConnectionRow])
    )
      await this.#configure(next)
    const { id: _, created_at: __, provider: ___, ...patch } = next
    await repo.updateConnection(this.#d.db, id, patch)
    return next
  }

  async delete(id: string): Promise<void> {
    if (!(await repo.deleteConnection(this.#d.db, id)))
      throw ApiError.of('resource_not_found', { longMessage: `No connection ${id}.` })
    this.#configs.delete(id)
  }

  /** The relying-party configuration (discovery or endpoints + credentials), cached per version. */
  clientConfig(row: OAuthConnectionRow): Promise<oidc.Configuration> {
    const key = `${row.updated_at}`
    const now = this.#d.clock.now()
    const cached = this.#configs.get(row.id)
    if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS) return cached.config
    const config = this.#configure(row)
    this.#configs.set(row.id, { at: now, key, config })
    config.catch(() => this.#configs.delete(row.id))
    return config
  }

  /** The provider's own checks of the operator's settings, as Clerk-style 422s. */
  async #check(provider: Provider, input: ConnectionInput, creating: boolean): Promise<void> {
    try {
      await provider.check(
        {
          issuer: input.issuer,
          endpointBaseUrl: input.endpointBaseUrl ?? undefined,
          teamId: input.teamId,
          keyId: input.keyId,
          secret: input.clientSecret,
          privateKey: input.privateKey,
        },
        creating,
      )
    } catch (error) {
      if (!(error instanceof ConnectionSettingError)) throw error
      throw ApiError.of('form_param_value_invalid', {
        longMessage: error.message,
        meta: { param_name: error.param },
      })
    }
  }

  async #configure(row: OAuthConnectionRow): Promise<oidc.Configuration> {
    const provider = this.providerOf(row)
    const settings: ConnectionSettings = {
      issuer: row.issuer,
      clientId: row.client_id,
      secret: this.#d.box.open(row.client_secret_sealed, row.id),
      teamId: row.team_id,
      keyId: row.key_id,
      endpointBaseUrl: row.endpoint_base_url,
      now: () => this.#d.clock.now(),
      policy: this.#d.policy,
    }
    try {
      return await provider.configuration(settings)
    } catch (error) {
      throw ApiError.of('form_param_value_invalid', {
        // One message whatever failed (a refused address, no answer, an invalid document), so the
        // answer cannot tell a closed port from a refused address from an open one (no oracle).
        longMessage: DISCOVERY_FAILED,
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
    team_id: row.team_id,
    key_id: row.key_id,
    endpoint_base_url: row.endpoint_base_url,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** The operator's scopes (or the provider's defaults), with the ones the provider needs. */
function scopesOf(provider: Provider, scopes: string | undefined): string {
  const list = [...new Set((scopes ?? provider.defaultScopes).split(/[\s,]+/).filter(Boolean))]
  for (const s of [...provider.requiredScopes].reverse()) if (!list.includes(s)) list.unshift(s)
  return list.join(' ')
}

const missing = (param: string) =>
  ApiError.of('form_param_missing', { meta: { param_name: param } })

const invalid = (param: string, what: string) =>
  ApiError.of('form_param_value_invalid', {
    longMessage: `${param} must be ${what}.`,
    meta: { param_name: param },
  })
