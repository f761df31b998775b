import { ApiError, newId, randomBase62 } from '@latchkey/contracts'
import { fromDbBool, isUniqueViolation, type OAuthApplicationRow, toDbBool } from '@latchkey/db'
import { sha256 } from '../lib/crypto.js'
import type { ServiceDeps } from '../service-deps.js'
import { oauthIssuer } from './issuer.js'
import * as repo from './oauth-applications.repository.js'

/** The scopes an application may be granted (Clerk's four, plus OpenID Connect's two). */
export const APPLICATION_SCOPES = ['profile', 'email', 'public_metadata', 'private_metadata']
export const PROTOCOL_SCOPES = ['openid', 'offline_access']
export const DEFAULT_SCOPES = 'profile email'

export type ApplicationInput = {
  name?: string | undefined
  redirectUris?: string[] | undefined
  scopes?: string | undefined
  public?: boolean | undefined
  pkceRequired?: boolean | undefined
  consentScreenEnabled?: boolean | undefined
  clientUri?: string | null | undefined
  clientImageUrl?: string | null | undefined
}

/** A created (or re-keyed) application and its client secret, shown this once. */
export type WithSecret = { row: OAuthApplicationRow; clientSecret: string }

/** The scopes of a space-separated list, deduplicated, or a field error naming the unknown ones. */
export function parseScopes(scopes: string, param = 'scopes'): string {
  const list = [...new Set(scopes.split(/\s+/).filter(Boolean))]
  const unknown = list.filter((s) => ![...APPLICATION_SCOPES, ...PROTOCOL_SCOPES].includes(s))
  if (unknown.length > 0)
    throw ApiError.of('form_param_value_invalid', {
      longMessage: `Unsupported scopes: ${unknown.join(', ')}. Supported: ${APPLICATION_SCOPES.join(', ')}.`,
      meta: { param_name: param },
    })
  return list.join(' ')
}

/**
 * OAuth applications: the clients that may ask users to "Sign in with <your app>". Client
 * secrets are 256-bit random strings, stored as SHA-256 and shown only on create and rotate.
 */
export class OAuthApplicationsService {
  private readonly d: ServiceDeps

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  async get(id: string): Promise<OAuthApplicationRow> {
    const row = await repo.findApplication(this.d.db, id)
    if (!row)
      throw ApiError.of('resource_not_found', {
        longMessage: `No OAuth application was found with id ${id}.`,
      })
    return row
  }

  findByClientId(clientId: string): Promise<OAuthApplicationRow | undefined> {
    return repo.findApplicationByClientId(this.d.db, clientId)
  }

  list(f: repo.ListFilter): Promise<OAuthApplicationRow[]> {
    return repo.listApplications(this.d.db, f)
  }

  count(nameQuery: string | undefined): Promise<number> {
    return repo.countApplications(this.d.db, nameQuery)
  }

  async create(
    input: ApplicationInput & { name: string },
    opts: { dynamicallyRegistered?: boolean; clientId?: string; clientSecret?: string } = {},
  ): Promise<WithSecret> {
    const now = this.d.clock.now()
    const isPublic = input.public ?? false
    const clientSecret = isPublic ? '' : (opts.clientSecret ?? randomBase62(43))
    const row: OAuthApplicationRow = {
      id: newId('oauthApplication'),
      client_id: opts.clientId ?? randomBase62(16),
      client_secret_hash: isPublic ? null : sha256(clientSecret),
      name: input.name,
      redirect_uris: JSON.stringify(input.redirectUris ?? []),
      scopes: input.scopes ?? DEFAULT_SCOPES,
      public: toDbBool(isPublic),
      pkce_required: toDbBool(input.pkceRequired ?? false),
      consent_screen_enabled: toDbBool(input.consentScreenEnabled ?? true),
      dynamically_registered: toDbBool(opts.dynamicallyRegistered ?? false),
      client_uri: input.clientUri ?? null,
      client_image_url: input.clientImageUrl ?? null,
      created_at: now,
      updated_at: now,
    }
    try {
      await repo.insertApplication(this.d.db, row)
    } catch (error) {
      if (isUniqueViolation(error))
        throw ApiError.of('form_param_value_invalid', {
          longMessage: 'This client_id is taken.',
          meta: { param_name: 'client_id' },
        })
      throw error
    }
    return { row, clientSecret }
  }

  async update(id: string, input: ApplicationInput): Promise<OAuthApplicationRow> {
    const current = await this.get(id)
    const becomesPublic = input.public !== undefined && input.public !== fromDbBool(current.public)
    await repo.updateApplication(this.d.db, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.redirectUris !== undefined
        ? { redirect_uris: JSON.stringify(input.redirectUris) }
        : {}),
      ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
      ...(input.pkceRequired !== undefined ? { pkce_required: toDbBool(input.pkceRequired) } : {}),
      ...(input.consentScreenEnabled !== undefined
        ? { consent_screen_enabled: toDbBool(input.consentScreenEnabled) }
        : {}),
      ...(input.clientUri !== undefined ? { client_uri: input.clientUri } : {}),
      ...(input.clientImageUrl !== undefined ? { client_image_url: input.clientImageUrl } : {}),
      // A client made public loses its secret; made confidential it has none until rotated.
      ...(becomesPublic
        ? { public: toDbBool(input.public === true), client_secret_hash: null }
        : {}),
      updated_at: this.d.clock.now(),
    })
    return this.get(id)
  }

  /** A new secret replaces the old one at once (Clerk's behaviour); issued tokens stay valid. */
  async rotateSecret(id: string): Promise<WithSecret> {
    const current = await this.get(id)
    if (fromDbBool(current.public))
      throw ApiError.of('form_param_value_invalid', {
        longMessage: 'A public OAuth application has no client secret to rotate.',
        meta: { param_name: 'public' },
      })
    const clientSecret = randomBase62(43)
    await repo.updateApplication(this.d.db, id, {
      client_secret_hash: sha256(clientSecret),
      updated_at: this.d.clock.now(),
    })
    return { row: await this.get(id), clientSecret }
  }

  /** Deletes the application and every grant, code and token issued to it. */
  async delete(id: string): Promise<void> {
    const row = await this.get(id)
    await this.d.db.transaction().execute(async (trx) => {
      await repo.deleteModelsOfClient(trx, row.client_id)
      await repo.deleteApplication(trx, id)
    })
  }

  /**
   * Ends every grant the user gave any application: their access and refresh tokens stop
   * working at once (userinfo 401, refresh invalid_grant), whatever the grant's lifetime.
   */
  async endGrantsOfUser(userId: string): Promise<void> {
    await repo.deleteModelsOfAccount(this.d.db, userId)
  }

  toJSON(row: OAuthApplicationRow, clientSecret?: string) {
    const issuer = oauthIssuer(this.d.config)
    const redirectUris = JSON.parse(row.redirect_uris) as string[]
    return {
      object: 'oauth_application' as const,
      id: row.id,
      instance_id: this.d.services.instance.id,
      name: row.name,
      client_id: row.client_id,
      client_uri: row.client_uri,
      client_image_url: row.client_image_url,
      dynamically_registered: fromDbBool(row.dynamically_registered),
      consent_screen_enabled: fromDbBool(row.consent_screen_enabled),
      pkce_required: fromDbBool(row.pkce_required),
      public: fromDbBool(row.public),
      scopes: row.scopes,
      redirect_uris: redirectUris,
      callback_url: redirectUris[0] ?? '',
      // The OAuth issuer's, not LATCHKEY_URL's (the session-token issuer): see provider.ts.
      authorize_url: `${issuer}/authorize`,
      token_fetch_url: `${issuer}/token`,
      user_info_url: `${issuer}/userinfo`,
      discovery_url: `${issuer}/.well-known/openid-configuration`,
      token_introspection_url: `${issuer}/token_info`,
      created_at: row.created_at,
      updated_at: row.updated_at,
      ...(clientSecret !== undefined ? { client_secret: clientSecret } : {}),
    }
  }
}
