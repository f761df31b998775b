import { ApiError, newId } from '@latchkey/contracts'
import {
  type EnterpriseConnectionRow,
  fromDbBool,
  type OAuthFlowRow,
  toDbBool,
  type Write,
} from '@latchkey/db'
import * as oidc from 'openid-client'
import type {
  ProviderClaims,
  RelyingParty,
} from '../external-accounts/external-accounts.service.js'
import { discover, oidcClaims, standardProfile } from '../external-accounts/providers/provider.js'
import type { ServiceDeps } from '../service-deps.js'
import type { PrepareInput } from '../verification/strategy.js'
import * as repo from './enterprise-connections.repository.js'
import {
  checkDomains,
  checkUrl,
  DEFAULT_MAPPING,
  domainOf,
  invalid,
} from './enterprise-connections.service.js'

export const OIDC_PROVIDERS = ['oidc_custom'] as const
const DEFAULT_SCOPES = 'openid email profile'
const DISCOVERY_TTL_MS = 3_600_000

export type OidcConnectionInput = {
  name?: string | undefined
  provider?: string | undefined
  domains?: string[] | undefined
  /** The IdP's issuer, or its `/.well-known/openid-configuration` URL (Clerk's `discovery_url`). */
  discoveryUrl?: string | null | undefined
  clientId?: string | null | undefined
  clientSecret?: string | null | undefined
  scopes?: string | undefined
  active?: boolean | undefined
  allowSubdomains?: boolean | undefined
  syncUserAttributes?: boolean | undefined
}

/** The only answer to a discovery that failed, for any reason. */
const DISCOVERY_FAILED =
  'The discovery document could not be read from that address or is not a valid OpenID Connect configuration for it.'

/**
 * Enterprise connections over OpenID Connect (issue #18 item 4): the operator's IdP, found by
 * discovery, with a confidential client whose secret is sealed at rest (AAD: the connection
 * id). Sign-in is the authorization code flow with state, nonce and PKCE S256 through
 * openid-client and `/v1/oauth_callback`, as for social providers; what differs is the rule
 * for the address: the ID token's email must lie in the connection's domains, and the
 * connection is authoritative for them (as a SAML IdP is) unless the IdP itself says the
 * address is unverified (`email_verified: false`), which then proves nothing.
 */
export class EnterpriseOidcService {
  private readonly d: ServiceDeps
  private readonly configs = new Map<
    string,
    { at: number; key: string; config: Promise<oidc.Configuration> }
  >()

  constructor(deps: ServiceDeps) {
    this.d = deps
  }

  async create(input: OidcConnectionInput): Promise<EnterpriseConnectionRow> {
    if (!input.name) throw ApiError.of('form_param_missing', { meta: { param_name: 'name' } })
    const provider = input.provider ?? ''
    if (!(OIDC_PROVIDERS as readonly string[]).includes(provider))
      throw invalid('provider', OIDC_PROVIDERS.join(', '))
    const id = newId('enterpriseConnection')
    const now = this.d.clock.now()
    const row: EnterpriseConnectionRow = {
      id,
      protocol: 'oidc',
      provider,
      name: input.name,
      domains: JSON.stringify(checkDomains(input.domains)),
      active: toDbBool(input.active ?? false),
      allow_subdomains: toDbBool(input.allowSubdomains ?? false),
      allow_idp_initiated: toDbBool(false),
      sync_user_attributes: toDbBool(input.syncUserAttributes ?? true),
      idp_entity_id: null,
      idp_sso_url: null,
      idp_certificate: null,
      idp_metadata_url: null,
      idp_metadata: null,
      attribute_mapping: JSON.stringify(DEFAULT_MAPPING),
      oidc_issuer: null,
      oidc_client_id: null,
      oidc_client_secret_sealed: null,
      oidc_scopes: DEFAULT_SCOPES,
      created_at: now,
      updated_at: now,
    }
    const next = await this.apply(row, input, true)
    await this.d.services.enterpriseConnections.assertDomainsFree(next)
    await repo.insertConnection(this.d.db, next)
    return next
  }

  async update(id: string, input: OidcConnectionInput): Promise<EnterpriseConnectionRow> {
    const row = await this.d.services.enterpriseConnections.get(id, 'oidc')
    const next = await this.apply(
      {
        ...row,
        ...(input.name !== undefined ? { name: input.name } : {}),
        // Clerk: an empty list leaves the domains as they are.
        ...(input.domains?.length ? { domains: JSON.stringify(checkDomains(input.domains)) } : {}),
        ...(input.active !== undefined ? { active: toDbBool(input.active) } : {}),
        ...(input.allowSubdomains !== undefined
          ? { allow_subdomains: toDbBool(input.allowSubdomains) }
          : {}),
        ...(input.syncUserAttributes !== undefined
          ? { sync_user_attributes: toDbBool(input.syncUserAttributes) }
          : {}),
        updated_at: Math.max(this.d.clock.now(), row.updated_at + 1),
      },
      input,
      false,
    )
    await this.d.services.enterpriseConnections.assertDomainsFree(next)
    const { id: _, created_at: __, protocol: ___, ...patch } = next
    await repo.updateConnection(this.d.db, id, patch)
    this.configs.delete(id)
    return next
  }

  /**
   * The IdP settings of `input` on `row`; when they changed, discovery runs now, so a
   * connection that cannot reach its IdP is refused before it is stored. An active connection
   * needs all three of discovery URL, client id and secret.
   */
  private async apply(
    row: EnterpriseConnectionRow,
    input: OidcConnectionInput,
    creating: boolean,
  ): Promise<EnterpriseConnectionRow> {
    const next = { ...row }
    if (input.discoveryUrl !== undefined)
      next.oidc_issuer = checkUrl(input.discoveryUrl, 'oidc.discovery_url')
    if (input.clientId !== undefined) next.oidc_client_id = input.clientId || null
    if (input.clientSecret !== undefined)
      next.oidc_client_secret_sealed = input.clientSecret
        ? this.d.box.seal(input.clientSecret, row.id)
        : null
    if (input.scopes !== undefined) next.oidc_scopes = scopesOf(input.scopes)
    const ready = next.oidc_issuer && next.oidc_client_id && next.oidc_client_secret_sealed
    if (fromDbBool(next.active) && !ready)
      throw ApiError.of('form_param_missing', {
        longMessage:
          'An active OIDC connection needs oidc.discovery_url, oidc.client_id and oidc.client_secret.',
        meta: { param_name: 'oidc' },
      })
    const changed =
      creating ||
      next.oidc_issuer !== row.oidc_issuer ||
      next.oidc_client_id !== row.oidc_client_id ||
      next.oidc_client_secret_sealed !== row.oidc_client_secret_sealed
    if (ready && changed) await this.configure(next)
    return next
  }

  /** The relying-party configuration of an OIDC connection, cached per version for an hour. */
  clientConfig(row: EnterpriseConnectionRow): Promise<oidc.Configuration> {
    const key = `${row.updated_at}`
    const now = this.d.clock.now()
    const cached = this.configs.get(row.id)
    if (cached && cached.key === key && now - cached.at < DISCOVERY_TTL_MS) return cached.config
    const config = this.configure(row)
    this.configs.set(row.id, { at: now, key, config })
    config.catch(() => this.configs.delete(row.id))
    return config
  }

  private async configure(row: EnterpriseConnectionRow): Promise<oidc.Configuration> {
    try {
      return await discover({
        issuer: row.oidc_issuer ?? '',
        clientId: row.oidc_client_id ?? '',
        secret: this.d.box.open(row.oidc_client_secret_sealed ?? '', row.id),
        teamId: null,
        keyId: null,
        endpointBaseUrl: null,
        now: () => this.d.clock.now(),
        policy: this.d.config.outboundAllowPrivate,
      })
    } catch (error) {
      throw ApiError.of('form_param_value_invalid', {
        // One message whatever failed (a refused address, no answer, an invalid document), so the
        // answer cannot tell a closed port from a refused address from an open one (no oracle).
        longMessage: DISCOVERY_FAILED,
        meta: { param_name: 'oidc.discovery_url' },
        cause: error,
      })
    }
  }

  /** The authorize redirect (state, nonce, PKCE S256) for verification `v`, and its flow. */
  async beginFlow(
    row: EnterpriseConnectionRow,
    v: { id: string; ownerId: string; clientId: string },
    input: PrepareInput & { loginHint?: string },
  ): Promise<{ authorizeUrl: string; expireAt: number; write: Write }> {
    const config = await this.clientConfig(row)
    const nonce = oidc.randomNonce()
    const verifier = oidc.randomPKCECodeVerifier()
    const accounts = this.d.services.externalAccounts
    const made = await accounts.newFlow(row.id, v, input, nonce, verifier)
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: accounts.callbackUrl(),
      scope: row.oidc_scopes ?? DEFAULT_SCOPES,
      state: made.state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...(input.loginHint ? { login_hint: input.loginHint } : {}),
    })
    return { authorizeUrl: authorize.href, expireAt: made.flow.expire_at, write: made.write }
  }

  /**
   * The callback of a flow of connection `row`: the code is redeemed once (openid-client checks
   * state, PKCE, and the ID token's signature, issuer, audience, expiry and nonce), then the
   * address rule of this class's comment. A connection made inactive meanwhile refuses.
   */
  exchange(flow: OAuthFlowRow, callbackUrl: URL): Promise<ProviderClaims> {
    return this.d.services.externalAccounts.redeem(
      flow,
      callbackUrl,
      async (): Promise<RelyingParty | undefined> => {
        const row = await this.d.services.enterpriseConnections.find(flow.provider)
        if (row?.protocol !== 'oidc' || !fromDbBool(row.active)) return undefined
        return {
          config: await this.clientConfig(row),
          upstream: {
            protocol: 'oidc',
            pkce: true,
            profile: async (input) => {
              const claims = await oidcClaims(input)
              const profile = standardProfile(claims)
              // The connection is authoritative for its domains: an absent claim leaves the
              // address verified; only `true` or `"true"` vouch when the claim is there (a
              // `"false"`, `null` or anything else proves nothing).
              const said = claims.email_verified
              const verified = said === undefined || said === true || said === 'true'
              return { ...profile, emailVerified: verified }
            },
          },
          scopes: row.oidc_scopes ?? DEFAULT_SCOPES,
          accept: async (claims) => {
            if (!claims.email) throw ApiError.of('saml_user_attribute_missing')
            await this.d.services.enterpriseConnections.assertOwns(row, claims.email)
            return claims
          },
        }
      },
    )
  }
}

/** The operator's scopes, `openid` always first. */
function scopesOf(scopes: string): string {
  const list = [...new Set(scopes.split(/[\s,]+/).filter(Boolean))].filter((s) => s !== 'openid')
  return ['openid', ...list].join(' ')
}
